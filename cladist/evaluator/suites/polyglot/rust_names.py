"""The test names of a Rust integration test file, read statically: ``#[test]`` functions
named as libtest names them (``module::function`` inside ``mod module { ... }``). Tests
behind a ``#[cfg(feature = ...)]`` (on the function or an enclosing module) are left out:
the benchmark runs ``cargo test`` without features, so they are not built. Comments,
strings and character literals are skipped, not read as code.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"""
    (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<raw>r(?P<hashes>\#*)".*?"(?P=hashes))
  | (?P<string>b?"(?:[^"\\]|\\.)*")
  | (?P<char>b?'(?:[^'\\\n]|\\.[^']*)')
  | (?P<attr>\#!?\[)
  | (?P<word>[A-Za-z_]\w*)
  | (?P<open>\{) | (?P<close>\})
  | (?P<other>.)
""", re.S | re.X)


def rust_test_names(text: str) -> set[str]:
    """The libtest ids of the ``#[test]`` functions of ``text`` that are built without
    features."""
    names: set[str] = set()
    modules: list[tuple[int, str, bool]] = []  # (brace depth inside, name, feature-gated)
    attrs: list[str] = []
    depth, i, expect_mod = 0, 0, False
    while i < len(text):
        match = _TOKEN.match(text, i)
        if match is None:  # pragma: no cover - the pattern matches any character
            break
        kind, i = match.lastgroup, match.end()
        if kind == "attr":
            end = _attribute_end(text, i)
            attrs.append(text[i:end])
            i = end + 1
        elif kind == "word":
            word = match.group()
            if expect_mod:
                expect_mod = False
                mod_name, mod_attrs = word, attrs
                attrs = []
                j = _skip_space(text, i)
                if j < len(text) and text[j] == "{":
                    modules.append((depth + 1, mod_name, _gated(mod_attrs)))
                continue
            if word == "mod":
                expect_mod = True
            elif word == "fn":
                fn = re.compile(r"\s*([A-Za-z_]\w*)").match(text, i)
                if fn and any(a.strip() == "test" for a in attrs) and not _gated(attrs) \
                        and not any(gated for _, _, gated in modules):
                    names.add("::".join([*(m for _, m, _ in modules), fn.group(1)]))
                attrs = []
            elif word in ("struct", "enum", "impl", "trait", "use", "const", "static",
                          "type", "let"):
                attrs = []
        elif kind == "open":
            depth += 1
        elif kind == "close":
            if modules and modules[-1][0] == depth:
                modules.pop()
            depth -= 1
    return names


def _attribute_end(text: str, i: int) -> int:
    """The index of the ``]`` closing the attribute whose body starts at ``i``."""
    level = 1
    while i < len(text):
        c = text[i]
        if c == '"':
            i = re.compile(r'"(?:[^"\\]|\\.)*"', re.S).match(text, i).end()  # type: ignore[union-attr]
            continue
        level += c == "["
        level -= c == "]"
        if level == 0:
            return i
        i += 1
    return len(text)


def _gated(attrs: list[str]) -> bool:
    return any(re.match(r"\s*cfg\s*\(.*\bfeature\s*=", a, re.S) for a in attrs)


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i
