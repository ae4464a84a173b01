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
    # Tier state (domain/tiers.py): the tier held, since when, when it is next reviewed, the manual floor.
    Column("tier_code", String(30)),
    Column("tier_since", Date),
    Column("tier_review_on", Date),
    Column("tier_floor", String(30)),
    _created(),
    Column("updated_at", UtcDateTime(), nullable=False),
    UniqueConstraint("merchant_id", "phone", name="uq_members_merchant_phone"),
    UniqueConstraint("merchant_id", "member_number", name="uq_members_merchant_number"),
    # The backstop behind InsufficientPoints: open lots (balance + debt) can never go below zero.
    CheckConstraint("points_debt >= 0", name="debt_not_negative"),
    CheckConstraint("points_balance + points_debt >= 0", name="no_overdraft"),
)
Index("ix_members_merchant_name", members.c.merchant_id, members.c.name)
Index("ix_members_tier_review", members.c.merchant_id, members.c.tier_review_on)

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


# Point of sale (migration 0002): staff and their sessions, catalogue, stock, shifts, printers. ---------------

staff = Table(
    "staff",
    metadata,
    _id(),
    _merchant(),
    Column("outlet_id", Id, ForeignKey("outlets.id")),  # None: every outlet (an owner)
    Column("username", String(100), nullable=False, unique=True),  # sign-in name, unique in the deployment
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UtcDateTime()),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    _created(),
    CheckConstraint("role IN ('owner', 'manager', 'cashier')", name="role_known"),
)
Index("ix_staff_merchant", staff.c.merchant_id)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    _id(),
    _merchant(),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # the cookie holds the token, we its hash
    Column("csrf_token", String(64), nullable=False),
    Column("language", String(5), nullable=False, server_default="id"),
    _created(),
    Column("expires_at", UtcDateTime(), nullable=False),
)

categories = Table(
    "categories",
    metadata,
    _id(),
    _merchant(),
    Column("code", String(100), nullable=False),  # what earn rules and sale lines name (e.g. "coffee")
    Column("name", String(200), nullable=False),
    Column("position", Integer, nullable=False, server_default="0"),
    UniqueConstraint("merchant_id", "code", name="uq_categories_merchant_code"),
)

products = Table(
    "products",
    metadata,
    _id(),
    _merchant(),
    Column("category_id", Id, ForeignKey("categories.id")),
    Column("sku", String(100), nullable=False),
    Column("barcode", String(64)),
    Column("name", String(200), nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("track_stock", Boolean, nullable=False, server_default=text("false")),
    Column("reorder_level", Integer, nullable=False, server_default="0"),
    Column("active", Boolean, nullable=False, server_default=text("true")),
    _created(),
    UniqueConstraint("merchant_id", "sku", name="uq_products_merchant_sku"),
    UniqueConstraint("merchant_id", "barcode", name="uq_products_merchant_barcode"),
    CheckConstraint("price >= 0", name="price_not_negative"),
)
Index("ix_products_merchant_name", products.c.merchant_id, products.c.name)

stock_levels = Table(
    "stock_levels",
    metadata,
    _merchant(),
    Column("outlet_id", Id, ForeignKey("outlets.id"), nullable=False),
    Column("product_id", Id, ForeignKey("products.id"), nullable=False),
    Column("quantity", BigInteger, nullable=False, server_default="0"),  # may go below zero: sales never wait
    Column("updated_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("outlet_id", "product_id"),
)

stock_movements = Table(
    "stock_movements",
    metadata,
    _id(),
    _merchant(),
    Column("outlet_id", Id, ForeignKey("outlets.id"), nullable=False),
    Column("product_id", Id, ForeignKey("products.id"), nullable=False),
    Column("delta", BigInteger, nullable=False),
    Column("reason", String(20), nullable=False),  # sale, refund, count, receive
    Column("note", String(500)),
    Column("sale_id", Id, ForeignKey("sales.id")),
    Column("refund_id", Id, ForeignKey("refunds.id")),
    Column("actor", String(200), nullable=False),
    _created(),
)
Index("ix_stock_movements_product", stock_movements.c.product_id, stock_movements.c.id)

shifts = Table(
    "shifts",
    metadata,
    _id(),
    _merchant(),
    Column("outlet_id", Id, ForeignKey("outlets.id"), nullable=False),
    Column("staff_id", Id, ForeignKey("staff.id"), nullable=False),
    Column("opening_cash", BigInteger, nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("closed_at", UtcDateTime()),
    Column("expected_cash", BigInteger),
    Column("counted_cash", BigInteger),
    Column("note", String(500)),
)
Index("ix_shifts_staff_open", shifts.c.staff_id, shifts.c.closed_at)

# Which shift rang up a sale or a refund: the shift report adds these up.
register_events = Table(
    "register_events",
    metadata,
    _id(),
    _merchant(),
    Column("shift_id", Id, ForeignKey("shifts.id"), nullable=False),
    Column("sale_id", Id, ForeignKey("sales.id"), nullable=False),
    Column("refund_id", Id, ForeignKey("refunds.id")),
    Column("approved_by", Id, ForeignKey("staff.id")),  # a manager who approved a cashier's refund
    _created(),
)
Index("ix_register_events_shift", register_events.c.shift_id)
Index("ix_register_events_sale", register_events.c.sale_id)  # a retried sale finds its event

outlet_settings = Table(
    "outlet_settings",
    metadata,
    _merchant(),
    Column("outlet_id", Id, ForeignKey("outlets.id"), primary_key=True),
    Column("printer_host", String(200)),
    Column("printer_port", Integer, nullable=False, server_default="9100"),
    Column("paper_width_mm", Integer, nullable=False, server_default="80"),
    Column("receipt_footer", String(500)),
)


# Tier changes of members: upgrades at a sale, re-evaluation at a refund, reviews, manual floors.
tier_history = Table(
    "tier_history",
    metadata,
    _id(),
    _merchant(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("from_tier", String(30)),
    Column("to_tier", String(30)),
    Column("reason", String(20), nullable=False),
    Column("qualifying", BigInteger, nullable=False),
    Column("sale_id", Id, ForeignKey("sales.id")),
    Column("changed_on", Date, nullable=False),
    Column("actor", String(200), nullable=False),
    _created(),
)
Index("ix_tier_history_member", tier_history.c.member_id, tier_history.c.id)

# Points each capped earn rule gave a member, by business day: what caps per day / month count against.
earn_rule_usage = Table(
    "earn_rule_usage",
    metadata,
    _id(),
    _merchant(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("sale_id", Id, ForeignKey("sales.id"), nullable=False),
    Column("rule_id", String(60), nullable=False),
    Column("points", BigInteger, nullable=False),
    Column("earned_on", Date, nullable=False),
)
Index("ix_earn_rule_usage_member", earn_rule_usage.c.member_id, earn_rule_usage.c.rule_id,
      earn_rule_usage.c.earned_on)


# Rewards and vouchers (migration 0005). ---------------------------------------------------------------------

# The catalogue's terms of a reward (domain/catalogue.py); stock is taken atomically (`stock = stock - 1
# WHERE stock > 0`), None meaning no stock kept.
for _column in (
    Column("available_from", Date),  # business dates in the merchant's time zone, both inclusive
    Column("available_to", Date),
    Column("tier_codes", JSON),  # None or []: every member
    Column("member_limit", Integer),
    Column("total_limit", Integer),
    Column("limit_period", String(10), nullable=False, server_default="lifetime"),
    Column("voucher", JSON),  # kind voucher: the terms of the code it issues (domain/vouchers.py)
    Column("voucher_valid_days", Integer),
    Column("stock", Integer),
):
    rewards.append_column(_column)
rewards.append_constraint(CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"))

# Redemptions counted against a reward's limits: one row per reward, scope ("total" or "member:<id>") and
# period ("" for lifetime, "2026-03-10", "2026-W11", "2026-03"), moved by `used = used + 1 WHERE used < limit`.
reward_usage = Table(
    "reward_usage",
    metadata,
    _merchant(),
    Column("reward_id", Id, ForeignKey("rewards.id"), nullable=False),
    Column("scope", String(40), nullable=False),
    Column("period", String(10), nullable=False),
    Column("used", Integer, nullable=False),
    PrimaryKeyConstraint("reward_id", "scope", "period"),
    CheckConstraint("used >= 0", name="used_not_negative"),
)

# Rewards redeemed on their own (a voucher, merchandise handed over): what the member got and paid.
reward_redemptions = Table(
    "reward_redemptions",
    metadata,
    _id(),
    _merchant(),
    Column("reward_id", Id, ForeignKey("rewards.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("transfer_id", Id, ForeignKey("transfers.id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("points_cost", BigInteger, nullable=False),
    Column("usage_period", String(10), nullable=False),  # the limit period it counted in
    Column("status", String(12), nullable=False, server_default="redeemed"),  # redeemed, cancelled
    Column("actor", String(200), nullable=False),
    _created(),
    Column("cancelled_at", UtcDateTime()),
)
Index("ix_reward_redemptions_member", reward_redemptions.c.member_id, reward_redemptions.c.id)

voucher_batches = Table(
    "voucher_batches",
    metadata,
    _id(),
    _merchant(),
    Column("name", String(200), nullable=False),
    Column("prefix", String(8), nullable=False, server_default=""),
    Column("count", Integer, nullable=False),
    Column("terms", JSON, nullable=False),
    Column("max_uses", Integer, nullable=False),
    Column("once_per_member", Boolean, nullable=False),
    Column("expires_on", Date),
    Column("actor", String(200), nullable=False),
    _created(),
)

# A voucher code. `code` is shown ('KOPI-7Q4M-XK2D-9PRT'); `code_key` is what lookups match exactly (upper case,
# no dashes). Uses are taken atomically (`uses = uses + 1 WHERE uses < max_uses`); the CHECK is the backstop.
vouchers = Table(
    "vouchers",
    metadata,
    _id(),
    _merchant(),
    Column("code", String(40), nullable=False),
    Column("code_key", String(40), nullable=False),
    Column("batch_id", Id, ForeignKey("voucher_batches.id")),
    Column("reward_id", Id, ForeignKey("rewards.id")),  # bought with points through this reward
    Column("redemption_id", Id, ForeignKey("reward_redemptions.id")),
    Column("member_id", Id, ForeignKey("members.id")),  # only this member may use it; None: anyone
    Column("terms", JSON, nullable=False),
    Column("max_uses", Integer, nullable=False),
    Column("uses", Integer, nullable=False, server_default="0"),
    Column("once_per_member", Boolean, nullable=False),
    Column("expires_on", Date),  # usable until the end of this day in the merchant's time zone
    Column("points_cost", BigInteger, nullable=False, server_default="0"),
    Column("status", String(12), nullable=False, server_default="active"),  # active, cancelled
    Column("actor", String(200), nullable=False),
    _created(),
    Column("cancelled_at", UtcDateTime()),
    UniqueConstraint("merchant_id", "code_key", name="uq_vouchers_merchant_code_key"),
    CheckConstraint("max_uses >= 1", name="max_uses_positive"),
    CheckConstraint("uses >= 0 AND uses <= max_uses", name="uses_within_max"),
)
Index("ix_vouchers_batch", vouchers.c.batch_id, vouchers.c.id)
Index("ix_vouchers_member", vouchers.c.member_id)

# Each use of a voucher in a sale. `member_key` is the member while a once-per-member use stands (None
# otherwise, or once a refund released it): the unique key makes a second use by the member impossible.
voucher_uses = Table(
    "voucher_uses",
    metadata,
    _id(),
    _merchant(),
    Column("voucher_id", Id, ForeignKey("vouchers.id"), nullable=False),
    Column("sale_id", Id, ForeignKey("sales.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id")),
    Column("member_key", Id),
    Column("code", String(40), nullable=False),
    Column("discount_amount", BigInteger, nullable=False),
    _created(),
    Column("released_at", UtcDateTime()),
    UniqueConstraint("voucher_id", "member_key", name="uq_voucher_uses_voucher_member"),
)
Index("ix_voucher_uses_sale", voucher_uses.c.sale_id)


# Stamp cards and bonuses (migration 0004). ---------------------------------------------------------------

# Membership state of members registered while the program makes membership wait for a first purchase
# (status "pending" until a sale reaches the minimum spend); members without a row are members.
memberships = Table(
    "memberships",
    metadata,
    _merchant(),
    Column("member_id", Id, ForeignKey("members.id"), primary_key=True),
    Column("status", String(20), nullable=False),
    Column("activated_at", UtcDateTime()),
    Column("activation_sale_id", Id, ForeignKey("sales.id")),
    _created(),
    CheckConstraint("status IN ('pending', 'active')", name="status_known"),
)

# Who brought whom: one referral per new member; both earn at the new member's first qualifying purchase.
referrals = Table(
    "referrals",
    metadata,
    _id(),
    _merchant(),
    Column("referrer_member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("referred_member_id", Id, ForeignKey("members.id"), nullable=False, unique=True),
    Column("status", String(20), nullable=False),  # pending, rewarded
    Column("qualifying_sale_id", Id, ForeignKey("sales.id")),
    Column("rewarded_at", UtcDateTime()),
    _created(),
    CheckConstraint("referrer_member_id <> referred_member_id", name="not_self"),
)
Index("ix_referrals_referrer", referrals.c.referrer_member_id)

# Every bonus given: the unique key makes "once" a constraint (sign-up once, birthday once a year, an
# activity's reference once), and the transfer is the points it gave.
bonus_grants = Table(
    "bonus_grants",
    metadata,
    _id(),
    _merchant(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("grant_key", String(250), nullable=False),
    Column("activity_type", String(30)),
    Column("reference", String(200)),
    Column("points", BigInteger, nullable=False),
    Column("transfer_id", Id, ForeignKey("transfers.id"), nullable=False),
    Column("sale_id", Id, ForeignKey("sales.id")),
    Column("business_date", Date, nullable=False),
    Column("actor", String(200), nullable=False),
    _created(),
    UniqueConstraint("member_id", "kind", "grant_key", name="uq_bonus_grants_member_kind_key"),
    CheckConstraint("points > 0", name="points_positive"),
)
Index("ix_bonus_grants_member_kind_day", bonus_grants.c.member_id, bonus_grants.c.kind, bonus_grants.c.business_date)
Index("ix_bonus_grants_merchant_kind_key", bonus_grants.c.merchant_id, bonus_grants.c.kind, bonus_grants.c.grant_key)

# A member's stamp cards: `stamps` and `stamps_owed` are caches of the card's stamp movements (ledger verify).
stamp_cards = Table(
    "stamp_cards",
    metadata,
    _id(),
    _merchant(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("definition_id", String(50), nullable=False),
    Column("name", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("card_size", Integer, nullable=False),
    Column("stamps", Integer, nullable=False, server_default="0"),
    Column("stamps_owed", Integer, nullable=False, server_default="0"),  # taken back by a refund, not yet repaid
    Column("reward", JSON, nullable=False),  # the reward as defined when the card started
    Column("started_on", Date),  # business date of the first stamp
    Column("expires_on", Date),  # last day stamps can be added
    Column("completed_at", UtcDateTime()),
    Column("redeemed_sale_id", Id, ForeignKey("sales.id")),
    _created(),
    Column("updated_at", UtcDateTime(), nullable=False),
    CheckConstraint("stamps >= 0 AND stamps <= card_size", name="stamps_within_size"),
    CheckConstraint("stamps_owed >= 0", name="owed_not_negative"),
    CheckConstraint("status IN ('in_progress', 'completed', 'redeemed', 'expired', 'cancelled')", name="status_known"),
)
# One card in progress per member and definition: the backstop behind "stamps go on the current card".
Index("ix_stamp_cards_one_in_progress", stamp_cards.c.member_id, stamp_cards.c.definition_id, unique=True,
      sqlite_where=stamp_cards.c.status == "in_progress", postgresql_where=stamp_cards.c.status == "in_progress")
Index("ix_stamp_cards_member", stamp_cards.c.member_id, stamp_cards.c.id)
Index("ix_stamp_cards_expiring", stamp_cards.c.merchant_id, stamp_cards.c.expires_on,
      sqlite_where=stamp_cards.c.status == "in_progress", postgresql_where=stamp_cards.c.status == "in_progress")

# Append-only: every change of a card's stamps (or of stamps owed) is one movement.
stamp_movements = Table(
    "stamp_movements",
    metadata,
    _id(),
    _merchant(),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("card_id", Id, ForeignKey("stamp_cards.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("stamps", Integer, nullable=False),  # change of the card's stamps
    Column("owed", Integer, nullable=False, server_default="0"),  # change of the card's stamps owed
    Column("sale_id", Id, ForeignKey("sales.id")),
    Column("refund_id", Id, ForeignKey("refunds.id")),
    Column("actor", String(200), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    _created(),
)
Index("ix_stamp_movements_card", stamp_movements.c.card_id, stamp_movements.c.id)
Index("ix_stamp_movements_sale", stamp_movements.c.sale_id)

# Stamps a sale earned per card definition, and what its refunds took back: the cumulative refund state.
sale_stamps = Table(
    "sale_stamps",
    metadata,
    _id(),
    _merchant(),
    Column("sale_id", Id, ForeignKey("sales.id"), nullable=False),
    Column("member_id", Id, ForeignKey("members.id"), nullable=False),
    Column("definition_id", String(50), nullable=False),
    Column("per", String(10), nullable=False),
    Column("minimum_spend", BigInteger, nullable=False, server_default="0"),
    Column("line_stamps", JSON, nullable=False),  # line position → stamps (per-item cards)
    Column("stamps_earned", Integer, nullable=False),
    Column("stamps_reversed", Integer, nullable=False, server_default="0"),
    Column("stamps_forgiven", Integer, nullable=False, server_default="0"),  # had expired on their card
    UniqueConstraint("sale_id", "definition_id", name="uq_sale_stamps_sale_definition"),
    CheckConstraint("stamps_reversed + stamps_forgiven <= stamps_earned", name="reversed_within_earned"),
)

# Scheduled job runs per merchant and business day: a rerun of a recorded day does nothing.
job_runs = Table(
    "job_runs",
    metadata,
    _merchant(),
    Column("job", String(30), nullable=False),
    Column("business_date", Date, nullable=False),
    Column("summary", JSON, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("merchant_id", "job", "business_date"),
)
