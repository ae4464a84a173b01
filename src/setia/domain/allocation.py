"""Integer allocation: share an amount among parts in proportion to weights, to the last rupiah."""

from __future__ import annotations


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights` so that the shares add up exactly.

    Largest-remainder method: every part gets the floor of its exact share, and the rupiah left over go
    to the parts with the largest remainders (earlier parts first on a tie), so no money appears or
    vanishes through rounding.
    """
    weight_sum = sum(weights)
    if total == 0 or weight_sum == 0:
        if total and not weight_sum:
            raise ValueError("cannot allocate a non-zero amount over zero weights")
        return [0] * len(weights)
    shares = [total * weight // weight_sum for weight in weights]
    remainders = [total * weight % weight_sum for weight in weights]
    left_over = total - sum(shares)
    by_remainder = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in by_remainder[:left_over]:
        shares[index] += 1
    return shares
