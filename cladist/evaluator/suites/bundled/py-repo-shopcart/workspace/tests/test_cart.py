import pytest

from shopcart import Cart, Item
from shopcart.money import format_cents

PEN = Item("PEN-1", "Pen", 150)
BOOK = Item("BK-7", "Book", 1299)


def test_total_without_discount():
    cart = Cart()
    cart.add(PEN, 2)
    cart.add(BOOK)
    assert cart.total_cents() == 300 + 1299


def test_bulk_discount_large_quantity():
    cart = Cart()
    cart.add(PEN, 20)
    assert cart.total_cents() == 2700


def test_coupon_never_negative():
    cart = Cart()
    cart.add(PEN, 1)
    assert cart.total_cents("WELCOME5") == 0


def test_remove():
    cart = Cart()
    cart.add(PEN, 3)
    cart.remove("PEN-1", 1)
    assert cart.lines()[0].quantity == 2
    cart.remove("PEN-1")
    assert cart.lines() == []
    with pytest.raises(KeyError):
        cart.remove("PEN-1")


def test_format():
    assert format_cents(1350) == "$13.50"
    assert format_cents(5) == "$0.05"
