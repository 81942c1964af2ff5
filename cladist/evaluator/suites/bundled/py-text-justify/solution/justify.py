"""Text justification."""


def _spread(words, width):
    if len(words) == 1:
        return words[0].ljust(width)
    gaps = len(words) - 1
    spaces = width - sum(len(w) for w in words)
    base, extra = divmod(spaces, gaps)
    line = ""
    for i, word in enumerate(words[:-1]):
        line += word + " " * (base + (1 if i < extra else 0))
    return line + words[-1]


def justify(text, width):
    """Return the words of text as fully justified lines of exactly width characters."""
    if width < 1:
        raise ValueError("width must be >= 1")
    words = text.split()
    for word in words:
        if len(word) > width:
            raise ValueError(f"word {word!r} is longer than {width}")
    lines, current = [], []
    for word in words:
        if current and len(" ".join(current + [word])) > width:
            lines.append(_spread(current, width))
            current = []
        current.append(word)
    if current:
        lines.append(" ".join(current).ljust(width))
    return lines
