"""Reading CSV text into rows."""


class CSVFormatError(ValueError):
    """A row does not match the header."""


def split_line(line):
    """The fields of one CSV line."""
    return [field.strip() for field in line.split(",")]


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
