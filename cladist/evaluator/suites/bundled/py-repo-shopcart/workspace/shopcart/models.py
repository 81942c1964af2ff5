"""Catalogue items and cart lines."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Item:
    """Something for sale; prices are integer cents."""

    sku: str
    name: str
    unit_price_cents: int


@dataclass
class LineItem:
    """One line of a cart: an item and how many of it."""

    item: Item
    quantity: int

    @property
    def gross_cents(self):
        """Price of the line before discounts."""
        return self.item.unit_price_cents * self.quantity
