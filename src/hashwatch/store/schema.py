"""Every table hashwatch has, gathered for the migrations and the tests."""

from __future__ import annotations

from sqlalchemy import MetaData

import hashwatch.accounts.models
import hashwatch.detection.models
import hashwatch.reporting.models

METADATA: MetaData = hashwatch.reporting.models.Base.metadata
# every table module is imported above
_ = (hashwatch.accounts.models.User, hashwatch.detection.models.DetectionRun)
