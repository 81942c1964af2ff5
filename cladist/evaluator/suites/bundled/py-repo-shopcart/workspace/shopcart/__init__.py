"""shopcart: a tiny shopping cart with bulk discounts and coupons."""

from shopcart.cart import Cart
from shopcart.models import Item, LineItem

__all__ = ["Cart", "Item", "LineItem"]
