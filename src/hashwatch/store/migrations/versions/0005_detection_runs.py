"""stored detection runs and meter scores

Revision ID: 0005
Revises: 0004

``hashwatch detect meters --store`` keeps each run (input, engine, parameters, notice,
counts) and every meter's score, candidate flag, reasons and features, linked to the
meter's facility when the registry knows it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hashwatch.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "detection_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", hashwatch.store.types.UTCDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("input", sa.String(length=500), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("meters", sa.Integer(), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_detection_runs_notice_id_notices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_detection_runs")),
    )
    with op.batch_alter_table("detection_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_detection_runs_notice_id"), ["notice_id"], unique=False
        )
    op.create_table(
        "meter_scores",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("meter_id", sa.String(length=64), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("is_candidate", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_meter_scores_facility_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["detection_runs.id"], name=op.f("fk_meter_scores_run_id_detection_runs")
        ),
        sa.PrimaryKeyConstraint("run_id", "meter_id", name=op.f("pk_meter_scores")),
    )
    with op.batch_alter_table("meter_scores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meter_scores_facility_id"), ["facility_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("meter_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meter_scores_facility_id"))
    op.drop_table("meter_scores")
    with op.batch_alter_table("detection_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_detection_runs_notice_id"))
    op.drop_table("detection_runs")
