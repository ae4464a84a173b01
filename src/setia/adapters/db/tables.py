"""The schema, in SQLAlchemy Core. Every business table carries merchant_id (DESIGN.md §4, §5).

Changes to this file go with a migration in adapters/db/migrations/versions.
"""

from __future__ import annotations

from datetime import timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    TypeDecorator,
    UniqueConstraint,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

class UtcDateTime(TypeDecorator):
    """Instants stored in UTC and read back with their offset, on SQLite (which keeps none) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("instants carry a time zone offset")
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


# SQLite only makes INTEGER PRIMARY KEY an auto-incrementing rowid; PostgreSQL gets a BIGINT identity.
Id = BigInteger().with_variant(Integer(), "sqlite")


def _id() -> Column:
    return Column("id", Id, primary_key=True, autoincrement=True)


def _merchant() -> Column:
    return Column("merchant_id", Id, ForeignKey("merchants.id"), nullable=False)


def _created() -> Column:
    return Column("created_at", UtcDateTime(), nullable=False)


merchants = Table(
    "merchants",
    metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="Asia/Jakarta"),
    Column("member_sequence", BigInteger, nullable=False, server_default="0"),
    _created(),
)

outlets = Table(
    "outlets",
    metadata,
    _id(),
    _merchant(),
    Column("name", String(200), nullable=False),
    _created(),
)

api_keys = Table(
    "api_keys",
    metadata,
    _id(),
    _merchant(),
    Column("name", String(200), nullable=False),
    Column("prefix", String(32), nullable=False, unique=True),
    Column("secret_hash", String(128), nullable=False),
    _created(),
    Column("revoked_at", UtcDateTime()),
)

programs = Table(
    "programs",
    metadata,
    _id(),
    _merchant(),
    Column("name", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("settings", JSON, nullable=False),
    _created(),
    Column("updated_at", UtcDateTime(), nullable=False),
)

program_versions = Table(
    "program_versions",
    metadata,
    _id(),
    _merchant(),
    Column("program_id", Id, ForeignKey("programs.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("settings", JSON, nullable=False),
    Column("actor", String(200), nullable=False),
    _created(),
    UniqueConstraint("program_id", "version", name="uq_program_versions_program_version"),
)

rewards = Table(
    "rewards",
    metadata,
    _id(),
    _merchant(),
    Column("program_id", Id, ForeignKey("programs.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("points_cost", Integer, nullable=False),
    Column("discount_amount", BigInteger, nullable=False, server_default="0"),
    Column("percent", Integer, nullable=False, server_default="0"),
    Column("cap_amount", BigInteger),
    Column("product_sku", String(100)),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    _created(),
    CheckConstraint("points_cost > 0", name="points_cost_positive"),
)

members = Table(
    "members",
    metadata,
    _id(),
    _merchant(),
    Column("member_number", String(20), nullable=False),
    Column("name", String(200), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("email", String(254)),
    Column("birthday", Date),
    Column("consent_whatsapp_at", UtcDateTime()),
    Column("consent_sms_at", UtcDateTime()),
    Column("consent_email_at", UtcDateTime()),
    # Cached balance: equals the sum of the member's transfers and open lots minus debt (ledger verify).
    Column("points_balance", BigInteger, nullable=False, server_default="0"),
    Column("points_debt", BigInteger, nullable=False, server_default="0"),
    _created(),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("merchant_id", "phone", name="uq_members_merchant_phone"),
    UniqueConstraint("merchant_id", "member_number", name="uq_members_merchant_number"),
    # The backstop behind InsufficientPoints: open lots (balance + debt) can never go below zero.
    CheckConstraint("points_debt >= 0", name="debt_not_negative"),
    CheckConstraint("points_balance + points_debt >= 0", name="no_overdraft"),
)
Index("ix_members_merchant_name", members.c.merchant_id, members.c.name)

sales = Table(
    "sales",
    metadata,
    _id(),
    _merchant(),
    Column("outlet_id", Id, ForeignKey("outlets.id")),
    Column("member_id", Id, ForeignKey("members.id")),
    Column("external_id", String(100), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("subtotal", BigInteger, nullable=False),
    Column("order_discount", BigInteger, nullable=False),
    Column("tier_discount", BigInteger, nullable=False),
    Column("reward_discount", BigInteger, nullable=False),
    Column("total_due", BigInteger, nullable=False),
    Column("amount_tendered", BigInteger, nullable=False),
    Column("change_due", BigInteger, nullable=False),
    Column("points_tender_points", BigInteger, nullable=False),
    Column("points_tender_value", BigInteger, nullable=False),
    Column("earn_base", BigInteger, nullable=False),
    Column("points_earned", BigInteger, nullable=False),
    Column("points_spent", BigInteger, nullable=False),
    Column("earn_breakdown", JSON, nullable=False),
    Column("program_version", Integer),
    # Cumulative refund state: each refund moves the difference to the new targets (DESIGN.md §4).
    Column("refunded_value", BigInteger, nullable=False, server_default="0"),
    Column("money_refunded", BigInteger, nullable=False, server_default="0"),
    Column("points_returned", BigInteger, nullable=False, server_default="0"),
    Column("points_taken_back", BigInteger, nullable=False, server_default="0"),
    Column("points_forgiven", BigInteger, nullable=False, server_default="0"),  # had expired: not taken
    Column("points_let_go", BigInteger, nullable=False, server_default="0"),  # clamp setting: not owed
    Column("status", String(20), nullable=False, server_default="completed"),
    Column("actor", String(200), nullable=False),
    _created(),
    UniqueConstraint("merchant_id", "external_id", name="uq_sales_merchant_external_id"),
)
Index("ix_sales_member", sales.c.member_id, sales.c.occurred_at)
Index("ix_sales_merchant_occurred", sales.c.merchant_id, sales.c.occurred_at)

sale_lines = Table(
    "sale_lines",
    metadata,
    _id(),
    _merchant(),
    Column("sale_id", Id, ForeignKey("sales.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("product_id", String(100)),
    Column("sku", String(100)),
    Column("name", String(200), nullable=False),
    Column("category", String(100)),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", BigInteger, nullable=False),
    Column("line_discount", BigInteger, nullable=False),
    Column("reward_discount", BigInteger, nullable=False),
    Column("order_level_share", BigInteger, nullable=False),
    Column("net_amount", BigInteger, nullable=False),
    Column("earn_base", BigInteger, nullable=False),
    Column("refunded_quantity", Integer, nullable=False, server_default="0"),
    CheckConstraint("refunded_quantity >= 0 AND refunded_quantity <= quantity", name="refund_within_quantity"),
)
Index("ix_sale_lines_sale", sale_lines.c.sale_id)

sale_rewards = Table(
    "sale_rewards",
    metadata,
    _id(),
    _merchant(),
    Column("sale_id", Id, ForeignKey("sales.id"), nullable=False),
    Column("reward_id", Id, ForeignKey("rewards.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("points_cost", BigInteger, nullable=False),
    Column("discount_amount", BigInteger, nullable=False),
)
Index("ix_sale_rewards_sale", sale_rewards.c.sale_id)

sale_tenders = Table(
    "sale_tenders",
    metadata,
    _id(),
    _merchant(),
    Column("sale_id", Id, ForeignKey("sales.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("reference", String(200)),
)
Index("ix_sale_tenders_sale", sale_tenders.c.sale_id)

refunds = Table(
    "refunds",
    metadata,
    _id(),
    _merchant(),
    Column("sale_id", Id, ForeignKey("sales.id"), nullable=False),
    Column("lines", JSON, nullable=False),
    Column("value", BigInteger, nullable=False),
    Column("money_refunded", BigInteger, nullable=False),
    Column("points_returned", BigInteger, nullable=False),
    Column("points_taken_back", BigInteger, nullable=False),
    Column("points_forgiven", BigInteger, nullable=False),
    Column("points_let_go", BigInteger, nullable=False),
    Column("reason", String(500)),
    Column("actor", String(200), nullable=False),
    _created(),
)
Index("ix_refunds_sale", refunds.c.sale_id)

# Double entry: every transfer moves points between the member's account and one system account.
transfers = Table(
    "transfers",
    metadata,
    _id(),
    _merchant(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("from_account", String(20), nullable=False),
    Column("to_account", String(20), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("reason", String(30), nullable=False),
    Column("sale_id", Id, ForeignKey("sales.id")),
    Column("refund_id", Id, ForeignKey("refunds.id")),
    Column("note", String(500)),
    Column("actor", String(200), nullable=False),
    Column("program_version", Integer),
    Column("occurred_at", UtcDateTime(), nullable=False),
    _created(),
    CheckConstraint("amount > 0", name="amount_positive"),
    CheckConstraint("from_account <> to_account", name="two_accounts"),
    CheckConstraint("from_account = 'member' OR to_account = 'member'", name="member_side"),
)
Index("ix_transfers_member", transfers.c.member_id, transfers.c.id)
Index("ix_transfers_sale", transfers.c.sale_id)

lots = Table(
    "lots",
    metadata,
    _id(),
    _merchant(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("transfer_id", Id, ForeignKey("transfers.id"), nullable=False),
    Column("sale_id", Id, ForeignKey("sales.id")),
    Column("amount", BigInteger, nullable=False),
    Column("remaining", BigInteger, nullable=False),
    Column("expired_amount", BigInteger, nullable=False, server_default="0"),
    Column("earned_on", Date, nullable=False),
    Column("expires_on", Date),
    _created(),
    CheckConstraint("remaining >= 0 AND remaining <= amount", name="remaining_within_amount"),
)
Index("ix_lots_member_open", lots.c.member_id, sqlite_where=lots.c.remaining > 0,
      postgresql_where=lots.c.remaining > 0)
Index("ix_lots_sale", lots.c.sale_id)
Index("ix_lots_expiring", lots.c.merchant_id, lots.c.expires_on, sqlite_where=lots.c.remaining > 0,
      postgresql_where=lots.c.remaining > 0)

lot_movements = Table(
    "lot_movements",
    metadata,
    _id(),
    _merchant(),
    Column("lot_id", Id, ForeignKey("lots.id"), nullable=False),
    Column("transfer_id", Id, ForeignKey("transfers.id"), nullable=False),
    Column("delta", BigInteger, nullable=False),
    Column("kind", String(20), nullable=False),
)
Index("ix_lot_movements_lot", lot_movements.c.lot_id)
Index("ix_lot_movements_transfer", lot_movements.c.transfer_id)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    _merchant(),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSON, nullable=False),
    _created(),
    PrimaryKeyConstraint("merchant_id", "key"),
)
