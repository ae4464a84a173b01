"""program: tiers, earn rule usage

Revision ID: 0003
Revises: 0002
"""

from alembic import op
import sqlalchemy as sa

from setia.adapters.db.tables import UtcDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tier_code", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("tier_since", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("tier_review_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("tier_floor", sa.String(length=30), nullable=True))
        batch_op.create_index("ix_members_tier_review", ["merchant_id", "tier_review_on"], unique=False)
    op.create_table(
        "tier_history",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("merchant_id", Id, nullable=False),
        sa.Column("member_id", Id, nullable=False),
        sa.Column("from_tier", sa.String(length=30), nullable=True),
        sa.Column("to_tier", sa.String(length=30), nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("qualifying", sa.BigInteger(), nullable=False),
        sa.Column("sale_id", Id, nullable=True),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], name=op.f("fk_tier_history_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_tier_history_member_id_members")),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.id"], name=op.f("fk_tier_history_sale_id_sales")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tier_history")),
    )
    op.create_index("ix_tier_history_member", "tier_history", ["member_id", "id"], unique=False)
    op.create_table(
        "earn_rule_usage",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("merchant_id", Id, nullable=False),
        sa.Column("member_id", Id, nullable=False),
        sa.Column("sale_id", Id, nullable=False),
        sa.Column("rule_id", sa.String(length=60), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("earned_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"],
                                name=op.f("fk_earn_rule_usage_merchant_id_merchants")),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_earn_rule_usage_member_id_members")),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.id"], name=op.f("fk_earn_rule_usage_sale_id_sales")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_earn_rule_usage")),
    )
    op.create_index("ix_earn_rule_usage_member", "earn_rule_usage", ["member_id", "rule_id", "earned_on"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_earn_rule_usage_member", table_name="earn_rule_usage")
    op.drop_table("earn_rule_usage")
    op.drop_index("ix_tier_history_member", table_name="tier_history")
    op.drop_table("tier_history")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index("ix_members_tier_review")
        batch_op.drop_column("tier_floor")
        batch_op.drop_column("tier_review_on")
        batch_op.drop_column("tier_since")
        batch_op.drop_column("tier_code")
