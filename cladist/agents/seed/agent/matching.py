"""Finding the text a model meant to replace when it did not copy it exactly.

Small models copy ``view``'s line numbers into the search text, indent with four spaces in
a file indented with tabs or two spaces, or drop trailing spaces. ``forgiving_match``
finds the one place in the file whose lines are the same once those differences are
removed, and re-indents the replacement the way the file is indented (each indentation
the model used in its search text becomes the file's indentation of the lines it
matched). When nothing matches, ``closest_lines`` shows the part of the file most like
what the model wrote, so it can copy the real text instead of guessing again.
"""

import difflib
import re

_LINE_NUMBER = re.compile(r"^ *\d+(\t|: | \| )")


def _numbered(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and all(_LINE_NUMBER.match(line) for line in lines)


def _unnumbered(text):
    """``text`` without the line numbers ``view`` puts in front of each line."""
    return "\n".join(_LINE_NUMBER.sub("", line, count=1) for line in text.split("\n"))


def _indent(line):
    return line[:len(line) - len(line.lstrip(" \t"))]


def _width(indent, tab=4):
    return sum(tab if c == "\t" else 1 for c in indent)


def _unit(lines):
    """The file's indentation step: a tab, or the smallest run of leading spaces."""
    if any(line.startswith("\t") for line in lines):
        return "\t"
    widths = [len(_indent(line)) for line in lines if line.strip() and line[0] == " "]
    return " " * (min(widths) if widths else 4)


def forgiving_match(text, old, new):
    """(the file's own text for ``old``, ``new`` re-indented to match), or (old, new)
    unchanged when no single place matches."""
    if _numbered(old):
        old, new = _unnumbered(old), _unnumbered(new) if _numbered(new) else new
    wanted = [line.strip() for line in old.strip("\n").split("\n")]
    lines = text.split("\n")
    found = [start for start in range(len(lines) - len(wanted) + 1)
             if [line.strip() for line in lines[start:start + len(wanted)]] == wanted]
    if len(found) != 1:
        return old, new
    start = found[0]
    matched = lines[start:start + len(wanted)]
    model_base = _width(_indent(old.strip("\n").split("\n")[0]))
    model_step = _width(_unit([ln for ln in old.split("\n") + new.split("\n")])) or 4
    file_base, file_step = _indent(matched[0]), _unit(lines)
    learnt = _indent_map(old.strip("\n").split("\n"), matched)
    out = []
    for line in new.split("\n"):
        if not line.strip():
            out.append("")
            continue
        width = _width(_indent(line))
        if width in learnt:  # an indentation the search text used: the file's for it
            out.append(learnt[width] + line.lstrip(" \t"))
            continue
        level = max(0, round((width - model_base) / model_step))
        out.append(file_base + file_step * level + line.lstrip(" \t"))
    replacement = "\n".join(out)
    if new.endswith("\n") and not replacement.endswith("\n"):
        replacement += "\n"
    return "\n".join(matched), replacement


def _indent_map(model_lines, file_lines):
    """For each indentation width of the model's search lines, the file's indentation of
    the lines they matched (the most common one), so that a replacement indented as the
    model indented its search text gets the file's indentation, even when the model's
    was inconsistent."""
    seen = {}
    for mine, theirs in zip(model_lines, file_lines):  # noqa: B905 (older Pythons)
        if mine.strip():
            counts = seen.setdefault(_width(_indent(mine)), {})
            counts[_indent(theirs)] = counts.get(_indent(theirs), 0) + 1
    return {width: max(counts, key=counts.get) for width, counts in seen.items()}


def closest_lines(text, old, context=2, whole_file_lines=40, most=30):
    """The file's lines most like ``old`` (numbered as ``view`` numbers them, with
    ``context`` lines around), or the whole file when it is short; "" for an empty file.

    The place is found by the single line of ``old`` most like a line of the file (a
    model that guessed a function's body usually got its first line nearly right)."""
    lines = text.split("\n")
    if not text.strip():
        return ""
    if len(lines) <= whole_file_lines:
        first, last = 1, len(lines)
    else:
        wanted = [line.strip() for line in _unnumbered(old).strip("\n").split("\n")][:most]
        best_score, best_line, best_offset = -1.0, 0, 0
        for offset, want in enumerate(wanted):
            if not want:
                continue
            for index, line in enumerate(lines):
                matcher = difflib.SequenceMatcher(None, want, line.strip(), autojunk=False)
                if matcher.real_quick_ratio() <= best_score \
                        or matcher.quick_ratio() <= best_score:
                    continue
                score = matcher.ratio()
                if score > best_score:
                    best_score, best_line, best_offset = score, index, offset
        start = max(best_line - best_offset, 0)
        first = max(start + 1 - context, 1)
        last = min(start + len(wanted) + context, len(lines))
    return "\n".join(f"{n:5d}\t{lines[n - 1]}" for n in range(first, last + 1))
