import pytest

from taskgraph import Graph, plan, run


def test_chain():
    g = Graph()
    g.add("c", deps=["b"])
    g.add("b", deps=["a"])
    g.add("a")
    assert plan(g) == ["a", "b", "c"]


def test_duplicate_task():
    g = Graph()
    g.add("a")
    with pytest.raises(ValueError):
        g.add("a")


def test_run_all_ok():
    calls = []
    g = Graph()
    g.add("build")
    g.add("test", deps=["build"])
    result = run(g, {"build": lambda: calls.append("build"),
                     "test": lambda: calls.append("test")})
    assert result == {"build": "ok", "test": "ok"} and calls == ["build", "test"]
