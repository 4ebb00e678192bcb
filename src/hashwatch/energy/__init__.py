"""Energy: hardware catalogue, network electricity (CBECI method), hashrate, drop events.

Pure computation on numpy arrays; file formats are read by :mod:`hashwatch.io`.
"""
