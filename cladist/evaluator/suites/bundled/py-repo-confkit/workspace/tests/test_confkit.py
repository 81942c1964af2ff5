import pytest

from confkit import ConfigSyntaxError, load_config, parse_text


def test_parse_text_types():
    text = 'name = "007"\nport = 80\nratio = 0.5\ndebug = TRUE\n# comment\nhost = a.b  # x'
    assert parse_text(text) == {"name": "007", "port": 80, "ratio": 0.5, "debug": True,
                                "host": "a.b"}


def test_sections():
    assert parse_text("db.port = 1\ndb.auth.user = me") == {"db": {"port": 1,
                                                                  "auth": {"user": "me"}}}


def test_syntax_error_has_line():
    with pytest.raises(ConfigSyntaxError, match="line 2"):
        parse_text("a = 1\nnonsense")


def test_layers():
    config = load_config({"db": {"host": "localhost", "port": 5432}, "debug": False},
                         "db.host = prod", {"APP__DB__HOST": "env", "OTHER": "x"})
    assert config == {"db": {"host": "env", "port": 5432}, "debug": False}
