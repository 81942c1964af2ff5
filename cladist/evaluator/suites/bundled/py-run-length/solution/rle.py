"""Run-length encoding."""


def encode(text):
    """Return the run-length encoding of text."""
    out = []
    i = 0
    while i < len(text):
        j = i
        while j < len(text) and text[j] == text[i]:
            j += 1
        count = j - i
        out.append((str(count) if count > 1 else "") + text[i])
        i = j
    return "".join(out)


def decode(data):
    """Return the text whose run-length encoding is data."""
    out = []
    digits = ""
    for ch in data:
        if ch.isdigit():
            digits += ch
        else:
            out.append(ch * (int(digits) if digits else 1))
            digits = ""
    if digits:
        raise ValueError("count without a character at the end of the input")
    return "".join(out)
