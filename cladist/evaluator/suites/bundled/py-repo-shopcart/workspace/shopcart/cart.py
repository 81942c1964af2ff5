"""The cart."""

from shopcart.models import LineItem
from shopcart.pricing import coupon_cents, line_discount_cents


class Cart:
    """A list of lines; totals apply bulk discounts per line, then an optional coupon."""

    def __init__(self):
        self._lines = []

    def add(self, item, quantity=1):
        """Add quantity of item to the cart."""
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self._lines.append(LineItem(item, quantity))

    def remove(self, sku, quantity=None):
        """Remove quantity of the item with sku (all of it when quantity is None)."""
        for line in self._lines:
            if line.item.sku == sku:
                if quantity is None or quantity >= line.quantity:
                    self._lines.remove(line)
                else:
                    line.quantity -= quantity
                return
        raise KeyError(sku)

    def lines(self):
        """The cart's lines, in the order items were added."""
        return list(self._lines)

    def total_cents(self, coupon=None):
        """Total after bulk discounts and the coupon (never negative)."""
        total = sum(line.gross_cents - line_discount_cents(line) for line in self._lines)
        if coupon is not None:
            total -= coupon_cents(coupon)
        return max(total, 0)
