"""Voucher arithmetic without a database: every rupiah of a voucher lands on one of its own lines."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from setia.domain.errors import VoucherNotApplicable
from setia.domain.vouchers import CODE_ALPHABET, Voucher, VoucherLine, VoucherTerms, apply_vouchers, code_key, new_code

lines_strategy = st.lists(st.tuples(st.sampled_from(["KOPI", "TEH", "CROIS"]), st.integers(0, 500_000)),
                          min_size=1, max_size=6)


@given(lines_strategy, st.integers(1, 100), st.integers(0, 2_000_000), st.sampled_from([None, "KOPI", "TEH"]))
def test_a_percent_voucher_sits_only_on_its_lines_and_never_below_zero(lines, percent, taken_before, sku):
    voucher_lines = [VoucherLine(code, None, value, value) for code, value in lines]
    taken_before = min(taken_before, sum(value for _, value in lines))
    voucher = Voucher("1", "X", VoucherTerms("percent", percent=percent, skus=(sku,) if sku else ()))
    try:
        (applied,), shares = apply_vouchers([voucher], voucher_lines, taken_before)
    except VoucherNotApplicable:
        return  # nothing of its lines is left
    assert sum(shares) == applied.discount_amount == sum(applied.line_shares)
    from setia.domain.allocation import allocate

    before = allocate(taken_before, [line.after_line_discounts for line in voucher_lines])
    left = [line.after_line_discounts - share for line, share in zip(voucher_lines, before)]
    applicable_left = sum(amount for amount, (code, _) in zip(left, lines) if sku is None or code == sku)
    assert applied.discount_amount == applicable_left * percent // 100
    for share, amount, (code, _) in zip(shares, left, lines):
        assert 0 <= share <= amount
        if sku is not None and code != sku:
            assert share == 0


def test_codes_read_easily_and_match_whatever_the_case_and_dashes():
    code = new_code("kopi")
    assert code.startswith("KOPI-") and len(code) == len("KOPI-XXXX-XXXX-XXXX")
    assert set(code_key(code)[4:]) <= set(CODE_ALPHABET)
    assert code_key(code.lower().replace("-", " ")) == code_key(code)
    assert len({new_code() for _ in range(2000)}) == 2000
