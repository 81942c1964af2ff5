"""Reading CSV text into rows."""


class CSVFormatError(ValueError):
    """A row does not match the header."""


def _quoted(line, i):
    """The value of the quoted field starting after the quote at i-1, and the index after it."""
    chars = []
    while i < len(line):
        if line[i] == '"':
            if line[i + 1:i + 2] == '"':
                chars.append('"')
                i += 2
                continue
            return "".join(chars), i + 1
        chars.append(line[i])
        i += 1
    raise CSVFormatError(f"unterminated quoted field in {line!r}")


def split_line(line):
    """The fields of one CSV line.

    Fields in double quotes may hold commas, and "" inside them stands for one quote; their
    value is kept as is. Unquoted fields are stripped of surrounding spaces.
    """
    fields, i, n = [], 0, len(line)
    while True:
        j = i
        while j < n and line[j] == " ":
            j += 1
        if j < n and line[j] == '"':
            value, i = _quoted(line, j + 1)
            while i < n and line[i] == " ":
                i += 1
            if i < n and line[i] != ",":
                raise CSVFormatError(f"text after a closing quote in {line!r}")
        else:
            end = line.find(",", i)
            end = n if end == -1 else end
            value, i = line[i:end].strip(), end
        fields.append(value)
        if i >= n:
            return fields
        i += 1


def read_rows(text):
    """A list of dicts, one per non-empty line after the header line."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = split_line(lines[0])
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = split_line(line)
        if len(fields) != len(header):
            raise CSVFormatError(f"line {number}: expected {len(header)} fields, "
                                 f"got {len(fields)}")
        rows.append(dict(zip(header, fields)))
    return rows
