import pytest

from lru import LRUCache


def test_basic_eviction():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert "a" not in cache and cache.get("b") == 2 and cache.get("c") == 3
    assert len(cache) == 2


def test_get_refreshes():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert cache.keys() == ["a", "c"]


def test_update_refreshes_without_eviction():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    assert len(cache) == 2 and cache.keys() == ["b", "a"] and cache.get("a") == 10


def test_contains_and_missing_get_do_not_refresh():
    cache = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert "a" in cache
    assert cache.get("zzz", "dflt") == "dflt"
    cache.put("c", 3)
    assert cache.keys() == ["b", "c"]


@pytest.mark.parametrize("bad", [0, -3])
def test_bad_capacity(bad):
    with pytest.raises(ValueError):
        LRUCache(bad)
