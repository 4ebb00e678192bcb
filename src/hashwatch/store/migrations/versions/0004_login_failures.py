"""login failures per user and client address

Revision ID: 0004
Revises: 0003

The lockout moves from the user (``users.failed_logins``, ``users.locked_until``) to the
pair of user and client address (``login_failures``), so that failures from one address do
not lock the user out from another. Counts in progress are not carried over (a lock lasts
15 minutes).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import hashwatch.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", hashwatch.store.types.UTCDateTime(), nullable=False),
        sa.Column("locked_until", hashwatch.store.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_login_failures_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", "client_address", name=op.f("pk_login_failures")),
    )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_failures_last_failed_at"), ["last_failed_at"], unique=False
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("failed_logins")


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("locked_until", hashwatch.store.types.UTCDateTime(), nullable=True)
        )
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failures_last_failed_at"))
    op.drop_table("login_failures")
