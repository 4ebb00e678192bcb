"""meter scores indexed by facility and run

Revision ID: 0006
Revises: 0005

The facility list shows each facility's score from the newest run that scored any of its
meters (``max(run_id)`` per facility): an index on (facility_id, run_id) answers that from
the index alone instead of scanning every stored score. It replaces the index on
facility_id, which it covers.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("meter_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meter_scores_facility_id"))
        batch_op.create_index(
            batch_op.f("ix_meter_scores_facility_run"), ["facility_id", "run_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("meter_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meter_scores_facility_run"))
        batch_op.create_index(
            batch_op.f("ix_meter_scores_facility_id"), ["facility_id"], unique=False
        )
