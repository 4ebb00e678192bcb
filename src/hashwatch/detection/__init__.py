"""Detection of undeclared mining: pure computation on numpy arrays and Arrow tables.

No database, no web and no files here (files are read and written by :mod:`hashwatch.io`).
"""
