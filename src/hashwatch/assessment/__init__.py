"""Assessment: a notice's declared mining electricity in totals, shares and breakdowns.

:mod:`~hashwatch.assessment.data` reads a notice's reports into frozen records in one read
transaction; every other module is pure computation on those records (see
docs/assessment.md for the method, the formulas and their sources).
"""
