"""Discount rules."""

BULK_THRESHOLD = 10
BULK_PERCENT = 10
COUPONS = {"WELCOME5": 500, "SORRY10": 1000}


def line_discount_cents(line):
    """Discount on one line: BULK_PERCENT off when buying in bulk (rounded down)."""
    if line.quantity > BULK_THRESHOLD:
        return line.gross_cents * BULK_PERCENT // 100
    return 0


def coupon_cents(code):
    """Amount a coupon takes off; unknown codes raise KeyError."""
    return COUPONS[code]
