import pytest

from taskgraph import CycleError, Graph, UnknownTaskError, plan, run


def graph(spec):
    g = Graph()
    for name, deps in spec.items():
        g.add(name, deps=deps)
    return g


def assert_valid_cycle(g, cycle, members):
    assert len(cycle) >= 2 and cycle[0] == cycle[-1]
    for task, nxt in zip(cycle, cycle[1:]):
        assert nxt in g.deps(task)
    assert set(cycle) <= members


def test_ready_ties_are_alphabetical():
    assert plan(graph({"a": [], "z": [], "b": ["a"]})) == ["a", "b", "z"]
    g = graph({"deploy": ["test", "docs"], "test": ["compile"], "docs": [], "compile": [],
               "bench": ["compile"]})
    assert plan(g) == ["compile", "bench", "docs", "test", "deploy"]


def test_every_task_after_its_deps():
    spec = {f"t{i:02d}": [f"t{j:02d}" for j in range(i) if (i * 7 + j) % 5 == 0]
            for i in range(30)}
    order = plan(graph(spec))
    assert sorted(order) == sorted(spec)
    for task, deps in spec.items():
        assert all(order.index(d) < order.index(task) for d in deps)


def test_two_cycle():
    g = graph({"a": ["b"], "b": ["a"], "c": []})
    with pytest.raises(CycleError) as info:
        plan(g)
    assert_valid_cycle(g, info.value.cycle, {"a", "b"})
    assert " -> " in str(info.value)


def test_longer_cycle_behind_other_tasks():
    g = graph({"app": ["lib"], "lib": ["util"], "util": ["core"], "core": ["lib"],
               "top": ["app"], "free": []})
    with pytest.raises(CycleError) as info:
        plan(g)
    assert_valid_cycle(g, info.value.cycle, {"lib", "util", "core"})
    assert len(info.value.cycle) == 4


def test_self_dependency():
    g = graph({"x": ["x"]})
    with pytest.raises(CycleError) as info:
        plan(g)
    assert info.value.cycle == ["x", "x"]


def test_unknown_dependency():
    g = graph({"deploy": ["build", "tset"], "build": []})
    with pytest.raises(UnknownTaskError) as info:
        plan(g)
    assert info.value.task == "deploy" and info.value.missing == "tset"
    assert "deploy" in str(info.value) and "tset" in str(info.value)


def test_failed_dependency_skips_dependents():
    calls = []

    def ok(name):
        return lambda: calls.append(name)

    def boom():
        calls.append("build")
        raise RuntimeError("compiler crashed")

    g = graph({"build": [], "test": ["build"], "deploy": ["test"], "lint": [],
               "docs": ["lint"]})
    actions = {"build": boom, "test": ok("test"), "deploy": ok("deploy"), "lint": ok("lint"),
               "docs": ok("docs")}
    result = run(g, actions)
    assert result == {"build": "failed", "test": "skipped", "deploy": "skipped",
                      "lint": "ok", "docs": "ok"}
    assert calls == ["build", "docs", "lint"] or calls == ["build", "lint", "docs"]
