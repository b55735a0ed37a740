"""follow-up loop: messages sent, satisfaction answers, orientation reviews, lead columns

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# SQLite rebuilds the table for a new foreign key: AUTOINCREMENT (0003) must be rebuilt too.
LEADS = {"table_kwargs": {"sqlite_autoincrement": True}}


def upgrade() -> None:
    with op.batch_alter_table("leads", **LEADS) as batch_op:
        batch_op.add_column(sa.Column("reply_address", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column("contact_withdrawn_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("previous_lead_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_leads_flagged_at", ["flagged_at"], unique=False)
        batch_op.create_index("ix_leads_previous_lead_id", ["previous_lead_id"], unique=False)
        batch_op.create_foreign_key(
            "fk_leads_previous_lead_id", "leads", ["previous_lead_id"], ["id"], ondelete="SET NULL"
        )
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("followups") as batch_op:
        batch_op.create_index("ix_followups_kind", ["kind"], unique=False)
        batch_op.create_index("ix_followups_lead_id", ["lead_id"], unique=False)
        batch_op.create_index("ix_followups_status", ["status"], unique=False)
    op.create_table(
        "satisfaction_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contacted", sa.Boolean(), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lead_id"),
    )
    with op.batch_alter_table("satisfaction_answers") as batch_op:
        batch_op.create_index("ix_satisfaction_answers_at", ["at"], unique=False)
    op.create_table(
        "orientation_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("advisor", sa.String(length=120), nullable=False),
        sa.Column("oriented_offer_id", sa.String(length=64), nullable=True),
        sa.Column("right_offer_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("lead_id"),
    )
    with op.batch_alter_table("orientation_reviews") as batch_op:
        batch_op.create_index("ix_orientation_reviews_at", ["at"], unique=False)


def downgrade() -> None:
    op.drop_table("orientation_reviews")
    op.drop_table("satisfaction_answers")
    op.drop_table("followups")
    with op.batch_alter_table("leads", **LEADS) as batch_op:
        batch_op.drop_constraint("fk_leads_previous_lead_id", type_="foreignkey")
        batch_op.drop_index("ix_leads_previous_lead_id")
        batch_op.drop_index("ix_leads_flagged_at")
        batch_op.drop_column("previous_lead_id")
        batch_op.drop_column("flagged_at")
        batch_op.drop_column("contact_withdrawn_at")
        batch_op.drop_column("reply_address")
