"""program: stamp cards and bonuses

Revision ID: 0004
Revises: 0003
"""

from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", Id, autoincrement=True, nullable=False)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def _instant(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "memberships",
        sa.Column("merchant_id", Id, nullable=False),
        sa.Column("member_id", Id, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        _instant("activated_at"),
        sa.Column("activation_sale_id", Id, nullable=True),
        _instant("created_at", nullable=False),
        sa.CheckConstraint("status IN ('pending', 'active')", name=op.f("ck_memberships_status_known")),
        _fk("memberships", "merchant_id", "merchants"),
        _fk("memberships", "member_id", "members"),
        _fk("memberships", "activation_sale_id", "sales"),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_memberships")),
    )
    op.create_table(
        "referrals",
        _id(),
        sa.Column("merchant_id", Id, nullable=False),
        sa.Column("referrer_member_id", Id, nullable=False),
        sa.Column("referred_member_id", Id, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("qualifying_sale_id", Id, nullable=True),
        _instant("rewarded_at"),
        _instant("created_at", nullable=False),
        sa.CheckConstraint("referrer_member_id <> referred_member_id", name=op.f("ck_referrals_not_self")),
        _fk("referrals", "merchant_id", "merchants"),
        _fk("referrals", "referrer_member_id", "members"),
        _fk("referrals", "referred_member_id", "members"),
        _fk("referrals", "qualifying_sale_id", "sales"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("referred_member_id", name=op.f("uq_referrals_referred_member_id")),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index("ix_referrals_referrer", ["referrer_member_id"], unique=False)

    op.create_table(
        "bonus_grants",
        _id(),
        sa.Column("merchant_id", Id, nullable=False),
        sa.Column("member_id", Id, nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("grant_key", sa.String(length=250), nullable=False),
        sa.Column("activity_type", sa.String(length=30), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("transfer_id", Id, nullable=False),
        sa.Column("sale_id", Id, nullable=True),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        _instant("created_at", nullable=False),
        sa.CheckConstraint("points > 0", name=op.f("ck_bonus_grants_points_positive")),
        _fk("bonus_grants", "merchant_id", "merchants"),
        _fk("bonus_grants", "member_id", "members"),
        _fk("bonus_grants", "transfer_id", "transfers"),
        _fk("bonus_grants", "sale_id", "sales"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bonus_grants")),
        sa.UniqueConstraint("member_id", "kind", "grant_key", name="uq_bonus_grants_member_kind_key"),
    )
    with op.batch_alter_table("bonus_grants", schema=None) as batch_op:
        batch_op.create_index("ix_bonus_grants_member_kind_day", ["member_id", "kind", "business_date"],
                              unique=False)
        batch_op.create_index("ix_bonus_grants_merchant_kind_key", ["merchant_id", "kind", "grant_key"],
                              unique=False)

    op.create_table(
        "stamp_cards",
        _id(),
        sa.Column("merchant_id", Id, nullable=False),
        sa.Column("member_id", Id, nullable=False),
        sa.Column("definition_id", sa.String(length=50), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("card_size", sa.Integer(), nullable=False),
        sa.Column("stamps", sa.Integer(), server_default="0", nullable=False),
        sa.Column("stamps_owed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("reward", sa.JSON(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        _instant("completed_at"),
        sa.Column("redeemed_sale_id", Id, nullable=True),
        _instant("created_at", nullable=False),
        _instant("updated_at", nullable=False),
        sa.CheckConstraint("stamps >= 0 AND stamps <= card_size", name=op.f("ck_stamp_cards_stamps_within_size")),
        sa.CheckConstraint("stamps_owed >= 0", name=op.f("ck_stamp_cards_owed_not_negative")),
        sa.CheckConstraint("status IN ('in_progress', 'completed', 'redeemed', 'expired', 'cancelled')",
                           name=op.f("ck_stamp_cards_status_known")),
        _fk("stamp_cards", "merchant_id", "merchants"),
        _fk("stamp_cards", "member_id", "members"),
        _fk("stamp_cards", "redeemed_sale_id", "sales"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stamp_cards")),
    )
    in_progress = sa.text("status = 'in_progress'")
    with op.batch_alter_table("stamp_cards", schema=None) as batch_op:
        batch_op.create_index("ix_stamp_cards_one_in_progress", ["member_id", "definition_id"], unique=True,
                              sqlite_where=in_progress, postgresql_where=in_progress)
        batch_op.create_index("ix_stamp_cards_member", ["member_id", "id"], unique=False)
        batch_op.create_index("ix_stamp_cards_expiring", ["merchant_id", "expires_on"], unique=False,
                              sqlite_where=in_progress, postgresql_where=in_progress)

    op.create_table(
        "stamp_movements",
        _id(),
        sa.Column("merchant_id", Id, nullable=False),
        sa.Column("member_id", Id, nullable=False),
        sa.Column("card_id", Id, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("stamps", sa.Integer(), nullable=False),
        sa.Column("owed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("sale_id", Id, nullable=True),
        sa.Column("refund_id", Id, nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        _instant("occurred_at", nullable=False),
        _instant("created_at", nullable=False),
        _fk("stamp_movements", "merchant_id", "merchants"),
        _fk("stamp_movements", "member_id", "members"),
        sa.ForeignKeyConstraint(["card_id"], ["stamp_cards.id"], name=op.f("fk_stamp_movements_card_id_stamp_cards")),
        _fk("stamp_movements", "sale_id", "sales"),
        _fk("stamp_movements", "refund_id", "refunds"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stamp_movements")),
    )
    with op.batch_alter_table("stamp_movements", schema=None) as batch_op:
        batch_op.create_index("ix_stamp_movements_card", ["card_id", "id"], unique=False)
        batch_op.create_index("ix_stamp_movements_sale", ["sale_id"], unique=False)

    op.create_table(
        "sale_stamps",
        _id(),
        sa.Column("merchant_id", Id, nullable=False),
        sa.Column("sale_id", Id, nullable=False),
        sa.Column("member_id", Id, nullable=False),
        sa.Column("definition_id", sa.String(length=50), nullable=False),
        sa.Column("per", sa.String(length=10), nullable=False),
        sa.Column("minimum_spend", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("line_stamps", sa.JSON(), nullable=False),
        sa.Column("stamps_earned", sa.Integer(), nullable=False),
        sa.Column("stamps_reversed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("stamps_forgiven", sa.Integer(), server_default="0", nullable=False),
        sa.CheckConstraint("stamps_reversed + stamps_forgiven <= stamps_earned",
                           name=op.f("ck_sale_stamps_reversed_within_earned")),
        _fk("sale_stamps", "merchant_id", "merchants"),
        _fk("sale_stamps", "sale_id", "sales"),
        _fk("sale_stamps", "member_id", "members"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale_stamps")),
        sa.UniqueConstraint("sale_id", "definition_id", name="uq_sale_stamps_sale_definition"),
    )
    op.create_table(
        "job_runs",
        sa.Column("merchant_id", Id, nullable=False),
        sa.Column("job", sa.String(length=30), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        _instant("started_at", nullable=False),
        _instant("finished_at", nullable=False),
        _fk("job_runs", "merchant_id", "merchants"),
        sa.PrimaryKeyConstraint("merchant_id", "job", "business_date", name=op.f("pk_job_runs")),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
    op.drop_table("sale_stamps")
    with op.batch_alter_table("stamp_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_stamp_movements_sale")
        batch_op.drop_index("ix_stamp_movements_card")
    op.drop_table("stamp_movements")
    with op.batch_alter_table("stamp_cards", schema=None) as batch_op:
        batch_op.drop_index("ix_stamp_cards_expiring")
        batch_op.drop_index("ix_stamp_cards_member")
        batch_op.drop_index("ix_stamp_cards_one_in_progress")
    op.drop_table("stamp_cards")
    with op.batch_alter_table("bonus_grants", schema=None) as batch_op:
        batch_op.drop_index("ix_bonus_grants_merchant_kind_key")
        batch_op.drop_index("ix_bonus_grants_member_kind_day")
    op.drop_table("bonus_grants")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_referrer")
    op.drop_table("referrals")
    op.drop_table("memberships")
