"""The demo's orders: each customer's purchases, which add up to their lifetime value."""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random

from ingest.demo.world import END

__all__ = ["customer_orders"]


def customer_orders(customer_id: str, ltv: float, n: int, signup: datetime, rng: Random, *,
                    first_order: int) -> list[list[str]]:
    """``n`` orders of one customer that add up to ``ltv``, spread between signup and the
    demo's end.

    Args:
        customer_id: The CRM id the orders belong to.
        ltv: Lifetime value; the orders' amounts sum to it to the cent.
        n: How many orders.
        signup: The customer's signup date; no order is older.
        rng: The demo's one random generator (drawn from in a fixed order).
        first_order: Number of the first order (ids are ``O000001``…, across customers).

    Returns:
        Rows of the orders file: customer_id, order_id, amount, date.
    """
    shares = [rng.uniform(0.5, 1.5) for _ in range(n)]
    cents = [int(ltv * 100 * s / sum(shares)) for s in shares]
    cents[-1] = int(round(ltv * 100)) - sum(cents[:-1])
    span = (END - signup).days
    days = sorted(rng.randrange(span) for _ in range(n))
    return [[customer_id, f"O{first_order + i:06d}", f"{amount / 100:.2f}",
             f"{signup + timedelta(days=day):%Y-%m-%d}"]
            for i, (amount, day) in enumerate(zip(cents, days, strict=True))]
