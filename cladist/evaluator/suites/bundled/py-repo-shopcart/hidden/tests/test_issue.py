from shopcart import Cart, Item

PEN = Item("PEN-1", "Pen", 150)
MUG = Item("MUG-2", "Mug", 899)


def test_exactly_ten_gets_bulk_discount():
    cart = Cart()
    cart.add(PEN, 10)
    assert cart.total_cents() == 1350


def test_nine_gets_no_discount():
    cart = Cart()
    cart.add(PEN, 9)
    assert cart.total_cents() == 1350


def test_same_item_added_twice_is_one_line():
    cart = Cart()
    cart.add(PEN, 6)
    cart.add(MUG, 1)
    cart.add(PEN, 4)
    lines = cart.lines()
    assert [(line.item.sku, line.quantity) for line in lines] == [("PEN-1", 10), ("MUG-2", 1)]
    assert cart.total_cents() == 1350 + 899


def test_remove_after_merge():
    cart = Cart()
    cart.add(MUG, 5)
    cart.add(MUG, 5)
    assert cart.total_cents() == 8990 - 899
    cart.remove("MUG-2", 1)
    assert cart.lines()[0].quantity == 9
    assert cart.total_cents() == 9 * 899


def test_discount_rounds_down_then_coupon():
    cart = Cart()
    cart.add(Item("X", "Odd", 333), 7)
    cart.add(Item("X", "Odd", 333), 4)
    assert cart.total_cents() == 3663 - 366
    assert cart.total_cents("SORRY10") == 3663 - 366 - 1000
