"""The test names of a jest test file, read statically: ``describe``/``test``/``it`` calls
(and their ``x``-prefixed forms, which the suite turns on) whose first argument is a
string literal, nested by their parentheses, named as cladist's jest reporter names them
(describe titles and the test title joined by ``" > "``). Comments, strings, template
literals and regular expression literals are skipped, not read as code. A file whose tests
cannot all be named this way (``test.each``, a computed title, ``.only``) gives None.
"""

from __future__ import annotations

import json
import re

GROUPS = {"describe", "xdescribe", "fdescribe"}
TESTS = {"test", "xtest", "it", "xit", "fit"}
_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_REGEX_AFTER = set("(,=:[!&|?{};+-*%<>~^") | {""}
_REGEX_WORDS = {"return", "typeof", "case", "do", "else", "in", "of", "new", "delete", "void",
                "throw", "yield", "await"}


class _Unreadable(Exception):
    """The file's tests cannot all be named statically."""


def jest_test_names(text: str) -> set[str] | None:
    """The ids of the tests ``text`` declares, or None when some cannot be named."""
    try:
        return _scan(text)
    except (_Unreadable, IndexError, ValueError):
        return None


def _scan(text: str) -> set[str]:
    names: set[str] = set()
    frames: list[tuple[int, str]] = []  # (paren depth before the call, describe title)
    depth, i, n, last = 0, 0, len(text), ""
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        if c in "'\"`":
            _, i = _string(text, i)
            last = "s"
            continue
        if c == "/" and (last in _REGEX_AFTER or last in _REGEX_WORDS):
            i = _skip_regex(text, i)
            last = "r"
            continue
        match = _IDENT.match(text, i)
        if match:
            word, i = match.group(), match.end()
            if last != "." and (word in GROUPS or word in TESTS):
                i = _call(text, i, word, depth, frames, names)
            last = word
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            while frames and frames[-1][0] >= depth:
                frames.pop()
        last = c
        i += 1
    return names


def _call(text: str, i: int, word: str, depth: int, frames: list[tuple[int, str]],
          names: set[str]) -> int:
    """Read ``word(title`` at ``i``: a describe pushes a frame (popped when the scanner
    closes its parenthesis), a test adds its name. Returns where scanning goes on."""
    j = _skip_space(text, i)
    if j < len(text) and text[j] == ".":
        member = _IDENT.match(text, _skip_space(text, j + 1))
        if member and member.group() in ("skip", "todo"):
            return member.end()  # skipped tests are not expected to pass
        raise _Unreadable(f"{word}.{member.group() if member else '?'}")
    if j >= len(text) or text[j] != "(":
        return i
    k = _skip_space(text, j + 1)
    if k >= len(text) or text[k] not in "'\"`":
        raise _Unreadable(f"{word} with a computed title")
    raw, _ = _string(text, k)
    if raw is None:
        raise _Unreadable(f"{word} with a template title")
    title = _unescape(raw)
    prefix = [t for _, t in frames]
    if word in GROUPS:
        frames.append((depth, title))
    else:
        names.add(" > ".join([*prefix, title]))
    return j  # the scanner goes on at the call's "(", so its depth counts it


def _string(text: str, i: int) -> tuple[str | None, int]:
    """The raw text of the string literal at ``i`` (None for a template with ``${``) and
    the index after it."""
    quote, j, out, plain = text[i], i + 1, [], True
    while True:
        c = text[j]
        if c == "\\":
            out.append(text[j:j + 2])
            j += 2
            continue
        if c == quote:
            break
        if quote == "`" and text.startswith("${", j):
            plain = False
            j = _skip_braces(text, j + 1)
            continue
        if c == "\n" and quote != "`":
            raise _Unreadable("unterminated string")
        out.append(c)
        j += 1
    return ("".join(out) if plain else None), j + 1


def _unescape(raw: str) -> str:
    """A string literal's text with its escapes (``\\n``, ``\\'``, ``\\u00e9``...) decoded."""
    if "\\" not in raw:
        return raw
    plain = re.sub(r"\\(['`])", r"\1", raw).replace('"', '\\"').replace('\\\\"', '\\"')
    return json.loads(f'"{plain}"')


def _skip_braces(text: str, i: int) -> int:
    """Past the ``}`` closing the ``{`` at ``i`` (strings inside skipped)."""
    level, j = 0, i
    while True:
        c = text[j]
        if c in "'\"`":
            _, j = _string(text, j)
            continue
        level += c == "{"
        level -= c == "}"
        j += 1
        if level == 0:
            return j


def _skip_regex(text: str, i: int) -> int:
    j, in_class = i + 1, False
    while True:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "\n":
            raise _Unreadable("unterminated regular expression")
        if c == "[":
            in_class = True
        elif c == "]":
            in_class = False
        elif c == "/" and not in_class:
            j += 1
            while j < len(text) and (text[j].isalnum() or text[j] == "_"):
                j += 1
            return j
        j += 1


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i].isspace():
        i += 1
    return i
