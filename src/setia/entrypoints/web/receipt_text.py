"""The receipt laid out as text lines for a thermal printer of 32 (58 mm) or 48 (80 mm) characters."""

from __future__ import annotations

import textwrap
from typing import Any

from setia.adapters.print.escpos_printer import CHARACTERS_PER_LINE, PrintLine
from setia.entrypoints.web.i18n import day, rupiah, translations, when


def _pair(left: str, right: str, width: int) -> str:
    room = width - len(right) - 1
    return f"{left[:room]:<{room}} {right}"


def receipt_lines(document: dict[str, Any], paper_width_mm: int, language: str = "id") -> list[PrintLine]:
    _ = translations(language).gettext
    width = CHARACTERS_PER_LINE.get(paper_width_mm, 48)
    sale = document["sale"]
    lines = [PrintLine(document["merchant_name"], bold=True, center=True)]
    if document["outlet_name"]:
        lines.append(PrintLine(document["outlet_name"], center=True))
    lines.append(PrintLine(when(sale["occurred_at"], document["timezone"], language), center=True))
    if document["cashier"]:
        lines.append(PrintLine(f"{_('Cashier')}: {document['cashier']}"))
    lines.append(PrintLine("-" * width))
    for line in sale["lines"]:
        lines.append(PrintLine(line["name"][:width]))
        lines.append(PrintLine(_pair(f"  {line['quantity']} x {rupiah(line['unit_price'])}",
                                     rupiah(line["quantity"] * line["unit_price"] - line["line_discount"]), width)))
        if line["reward_discount"]:
            lines.append(PrintLine(_pair(f"  {_('Reward')}", "-" + rupiah(line["reward_discount"]), width)))
    lines.append(PrintLine("-" * width))
    totals = sale["totals"]
    if totals["order_discount"]:
        lines.append(PrintLine(_pair(_("Order discount"), "-" + rupiah(totals["order_discount"]), width)))
    if totals.get("tier_discount"):
        tier = (document.get("tier") or {}).get("tier")
        label = _("%(tier)s discount") % {"tier": tier["name"] if tier else _("Tier")}
        lines.append(PrintLine(_pair(label, "-" + rupiah(totals["tier_discount"]), width)))
    for reward in sale["rewards"]:
        if reward["discount_amount"] and not any(l["reward_discount"] for l in sale["lines"]):
            lines.append(PrintLine(_pair(reward["name"], "-" + rupiah(reward["discount_amount"]), width)))
    for voucher in sale.get("vouchers") or []:
        lines.append(PrintLine(_pair(f"{_('Voucher')} {voucher['code']}", "-" + rupiah(voucher["discount_amount"]),
                                     width)))
    lines.append(PrintLine(_pair(_("Total"), rupiah(totals["total_due"]), width), bold=True))
    for tender in sale["tenders"]:
        label = _("Points") + f" ({tender['points']})" if tender["kind"] == "points" else tender_label(tender["kind"], _)
        lines.append(PrintLine(_pair(label, rupiah(tender["amount"]), width)))
    if totals["change_due"]:
        lines.append(PrintLine(_pair(_("Change"), rupiah(totals["change_due"]), width)))
    member = document["member"]
    if member:
        points = sale["points"]
        lines.append(PrintLine("-" * width))
        lines.append(PrintLine(f"{_('Member')}: {member['name']}"))
        lines.append(PrintLine(f"{_('Member no.')}: {member['member_number']}"))
        for rule in points["rules"]:
            lines.append(PrintLine(_pair(f"  {rule['description']}", f"+{rule['points']}", width)))
        lines.append(PrintLine(_pair(_("Points earned"), f"+{points['earned']}", width)))
        if points["spent"]:
            lines.append(PrintLine(_pair(_("Points used"), f"-{points['spent']}", width)))
        if points["balance_after"] is not None:
            lines.append(PrintLine(_pair(_("Points balance"), str(points["balance_after"]), width), bold=True))
        for expiry in points["expiring"][:1]:
            lines.append(PrintLine(_("%(points)s points expire on %(day)s") % {
                "points": expiry["points"], "day": day(expiry["expires_on"], language)}))
        lines.extend(_loyalty_lines(document, width, language, _))
    lines.append(PrintLine(document["footer"] or _("Thank you!"), center=True))
    return lines


def _loyalty_lines(document: dict[str, Any], width: int, language: str, _: Any) -> list[PrintLine]:
    """Stamps earned, cards filled and redeemed on this sale; the member's tier and what the next one takes."""
    lines = []
    stamps = document.get("stamps") or {}
    for card in stamps.get("earned", []):
        lines.append(PrintLine(_pair(f"{_('Stamps')}: {card['name']}", f"+{card['stamps']}", width)))
    for card in stamps.get("completed", []):
        lines.extend(_wrapped(_("Card full: %(name)s, the reward is ready") % {"name": card["name"]}, width))
    for card in stamps.get("redeemed", []):
        lines.extend(_wrapped(_("Stamp card redeemed: %(name)s") % {"name": card["name"]}, width))
    tier = document.get("tier")
    if tier:
        lines.extend(_wrapped(f"{_('Tier')}: {tier['tier']['name'] if tier['tier'] else _('no tier yet')}", width))
        upcoming = tier.get("next_tier")
        if upcoming:
            if tier["basis"] == "points":
                text = _("%(amount)s points more to %(tier)s") % {"amount": tier["missing"], "tier": upcoming["name"]}
            else:
                text = _("%(amount)s more to %(tier)s") % {"amount": rupiah(tier["missing"], language),
                                                            "tier": upcoming["name"]}
            if tier.get("missing_by"):
                text += " " + _("by %(day)s") % {"day": day(tier["missing_by"], language)}
            lines.extend(_wrapped(text, width))
    return lines


def _wrapped(text: str, width: int) -> list[PrintLine]:
    return [PrintLine(part) for part in textwrap.wrap(text, width) or [""]]


def tender_label(kind: str, gettext: Any) -> str:
    return {"cash": gettext("Cash"), "card": gettext("Card"), "qris": "QRIS", "ewallet": "E-wallet",
            "other": gettext("Other")}.get(kind, kind)
