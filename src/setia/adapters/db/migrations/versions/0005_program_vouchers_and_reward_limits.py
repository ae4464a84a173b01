"""program: vouchers and reward limits

Revision ID: 0005
Revises: 0004
"""

from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", Id, autoincrement=True, nullable=False)


def _merchant(table: str) -> list:
    return [sa.Column("merchant_id", Id, nullable=False),
            sa.ForeignKeyConstraint(["merchant_id"], ["merchants.id"], name=f"fk_{table}_merchant_id_merchants")]


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("rewards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("available_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("available_to", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("tier_codes", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("member_limit", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("total_limit", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("limit_period", sa.String(length=10), server_default="lifetime",
                                      nullable=False))
        batch_op.add_column(sa.Column("voucher", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("voucher_valid_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("stock", sa.Integer(), nullable=True))
        batch_op.create_check_constraint("ck_rewards_stock_not_negative", "stock IS NULL OR stock >= 0")

    op.create_table(
        "reward_usage",
        *_merchant("reward_usage"),
        sa.Column("reward_id", Id, nullable=False),
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.CheckConstraint("used >= 0", name="ck_reward_usage_used_not_negative"),
        sa.ForeignKeyConstraint(["reward_id"], ["rewards.id"], name="fk_reward_usage_reward_id_rewards"),
        sa.PrimaryKeyConstraint("reward_id", "scope", "period", name="pk_reward_usage"),
    )
    op.create_table(
        "reward_redemptions",
        _id(),
        *_merchant("reward_redemptions"),
        sa.Column("reward_id", Id, nullable=False),
        sa.Column("member_id", Id, nullable=False),
        sa.Column("transfer_id", Id, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("points_cost", sa.BigInteger(), nullable=False),
        sa.Column("usage_period", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="redeemed", nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        _created(),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["reward_id"], ["rewards.id"], name="fk_reward_redemptions_reward_id_rewards"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name="fk_reward_redemptions_member_id_members"),
        sa.ForeignKeyConstraint(["transfer_id"], ["transfers.id"],
                                name="fk_reward_redemptions_transfer_id_transfers"),
        sa.PrimaryKeyConstraint("id", name="pk_reward_redemptions"),
    )
    op.create_index("ix_reward_redemptions_member", "reward_redemptions", ["member_id", "id"])
    op.create_table(
        "voucher_batches",
        _id(),
        *_merchant("voucher_batches"),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=8), server_default="", nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("once_per_member", sa.Boolean(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        _created(),
        sa.PrimaryKeyConstraint("id", name="pk_voucher_batches"),
    )
    op.create_table(
        "vouchers",
        _id(),
        *_merchant("vouchers"),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("code_key", sa.String(length=40), nullable=False),
        sa.Column("batch_id", Id, nullable=True),
        sa.Column("reward_id", Id, nullable=True),
        sa.Column("redemption_id", Id, nullable=True),
        sa.Column("member_id", Id, nullable=True),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), server_default="0", nullable=False),
        sa.Column("once_per_member", sa.Boolean(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("points_cost", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("status", sa.String(length=12), server_default="active", nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        _created(),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("max_uses >= 1", name="ck_vouchers_max_uses_positive"),
        sa.CheckConstraint("uses >= 0 AND uses <= max_uses", name="ck_vouchers_uses_within_max"),
        sa.ForeignKeyConstraint(["batch_id"], ["voucher_batches.id"], name="fk_vouchers_batch_id_voucher_batches"),
        sa.ForeignKeyConstraint(["reward_id"], ["rewards.id"], name="fk_vouchers_reward_id_rewards"),
        sa.ForeignKeyConstraint(["redemption_id"], ["reward_redemptions.id"],
                                name="fk_vouchers_redemption_id_reward_redemptions"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name="fk_vouchers_member_id_members"),
        sa.PrimaryKeyConstraint("id", name="pk_vouchers"),
        sa.UniqueConstraint("merchant_id", "code_key", name="uq_vouchers_merchant_code_key"),
    )
    op.create_index("ix_vouchers_batch", "vouchers", ["batch_id", "id"])
    op.create_index("ix_vouchers_member", "vouchers", ["member_id"])
    op.create_table(
        "voucher_uses",
        _id(),
        *_merchant("voucher_uses"),
        sa.Column("voucher_id", Id, nullable=False),
        sa.Column("sale_id", Id, nullable=False),
        sa.Column("member_id", Id, nullable=True),
        sa.Column("member_key", Id, nullable=True),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("discount_amount", sa.BigInteger(), nullable=False),
        _created(),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["voucher_id"], ["vouchers.id"], name="fk_voucher_uses_voucher_id_vouchers"),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.id"], name="fk_voucher_uses_sale_id_sales"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name="fk_voucher_uses_member_id_members"),
        sa.PrimaryKeyConstraint("id", name="pk_voucher_uses"),
        sa.UniqueConstraint("voucher_id", "member_key", name="uq_voucher_uses_voucher_member"),
    )
    op.create_index("ix_voucher_uses_sale", "voucher_uses", ["sale_id"])


def downgrade() -> None:
    op.drop_index("ix_voucher_uses_sale", table_name="voucher_uses")
    op.drop_table("voucher_uses")
    op.drop_index("ix_vouchers_member", table_name="vouchers")
    op.drop_index("ix_vouchers_batch", table_name="vouchers")
    op.drop_table("vouchers")
    op.drop_table("voucher_batches")
    op.drop_index("ix_reward_redemptions_member", table_name="reward_redemptions")
    op.drop_table("reward_redemptions")
    op.drop_table("reward_usage")
    with op.batch_alter_table("rewards", schema=None) as batch_op:
        batch_op.drop_constraint("ck_rewards_stock_not_negative", type_="check")
        for column in ("stock", "voucher_valid_days", "voucher", "limit_period", "total_limit", "member_limit",
                       "tier_codes", "available_to", "available_from"):
            batch_op.drop_column(column)
