"""erasure log, lead ids never reused, advisor session version, misunderstood messages' organisation

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # What was erased, when and from which channel: counts only, no personal data.
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.String(length=16), nullable=False),
        sa.Column("leads", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("tracker_events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("erasures") as batch_op:
        batch_op.create_index("ix_erasures_at", ["at"], unique=False)
    # SQLite reuses the highest rowid after a delete, so an erased lead's reference
    # (ESS-2026-0042) would be handed to the next person: AUTOINCREMENT forbids that.
    # PostgreSQL sequences never go back; nothing to do there.
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "leads", recreate="always", table_kwargs={"sqlite_autoincrement": True}
        ):
            pass
    # Logout, password change and disabling end every session: the cookie carries the version.
    with op.batch_alter_table("advisors") as batch_op:
        batch_op.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="0")
        )
    # The organisation a misunderstood message's conversation was routed to (who may read it).
    with op.batch_alter_table("misunderstood_messages") as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_misunderstood_messages_organisation_id", ["organisation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("misunderstood_messages") as batch_op:
        batch_op.drop_index("ix_misunderstood_messages_organisation_id")
        batch_op.drop_column("organisation_id")
    with op.batch_alter_table("advisors") as batch_op:
        batch_op.drop_column("session_version")
    op.drop_table("erasures")
