from confkit import deep_merge, load_config

DEFAULTS = {"db": {"host": "localhost", "port": 5432, "opts": {"ssl": False}},
            "debug": False, "name": "svc"}


def fresh_defaults():
    return {"db": {"host": "localhost", "port": 5432, "opts": {"ssl": False}},
            "debug": False, "name": "svc"}


def test_env_values_are_typed():
    env = {"APP__DB__PORT": "5433", "APP__DEBUG": "true", "APP__DB__OPTS__SSL": "FALSE",
           "APP__RATIO": "0.25", "APP__NAME": '"42"', "APP__DB__HOST": "db1"}
    config = load_config(fresh_defaults(), "", env)
    assert config["db"]["port"] == 5433 and type(config["db"]["port"]) is int
    assert config["debug"] is True
    assert config["db"]["opts"]["ssl"] is False
    assert config["ratio"] == 0.25
    assert config["name"] == "42"
    assert config["db"]["host"] == "db1"


def test_defaults_not_modified():
    defaults = fresh_defaults()
    first = load_config(defaults, "db.host = alpha\ndb.opts.ssl = true", {"APP__DB__PORT": "1"})
    assert first["db"] == {"host": "alpha", "port": 1, "opts": {"ssl": True}}
    assert defaults == DEFAULTS
    second = load_config(defaults, "")
    assert second["db"]["host"] == "localhost" and second["db"]["opts"]["ssl"] is False


def test_result_shares_nothing_with_defaults():
    defaults = fresh_defaults()
    config = load_config(defaults, "")
    config["db"]["host"] = "changed"
    config["db"]["opts"]["ssl"] = True
    assert defaults == DEFAULTS


def test_deep_merge_leaves_arguments_alone():
    base = {"a": {"b": {"c": 1}}, "x": 1}
    override = {"a": {"b": {"d": 2}}, "y": {"z": 3}}
    merged = deep_merge(base, override)
    assert merged == {"a": {"b": {"c": 1, "d": 2}}, "x": 1, "y": {"z": 3}}
    assert base == {"a": {"b": {"c": 1}}, "x": 1}
    merged["y"]["z"] = 99
    assert override == {"a": {"b": {"d": 2}}, "y": {"z": 3}}
