"""Tables of stored detection runs: one row per run, one row per scored meter.

A run is what ``hashwatch detect meters --store`` scored: its input, engine and parameters,
the notice it was cross-checked with, and its counts. Each meter's score, candidate flag,
reasons and features are kept against the run and, when the registry links the meter, its
facility (so the facility page can show the latest result).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hashwatch.reporting.models import Base
from hashwatch.store.types import UTCDateTime, utcnow


class DetectionRun(Base):
    """One scoring of a meter data set."""

    __tablename__ = "detection_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    input: Mapped[str] = mapped_column(String(500))  # the file or folder scored
    engine: Mapped[str] = mapped_column(String(16))
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notices.id"), index=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    meters: Mapped[int] = mapped_column(Integer)
    candidates: Mapped[int] = mapped_column(Integer)


class MeterScore(Base):
    """One meter's result in one run; the facility is the registry's link at storage time."""

    __tablename__ = "meter_scores"
    #: a facility's newest run (the facility list's max(run_id)) from the index alone
    __table_args__ = (Index("ix_meter_scores_facility_run", "facility_id", "run_id"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("detection_runs.id"), primary_key=True)
    meter_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    score: Mapped[float] = mapped_column(Float)
    is_candidate: Mapped[bool] = mapped_column(Boolean)
    reasons: Mapped[str] = mapped_column(Text)
    features: Mapped[dict[str, Any]] = mapped_column(JSON)
