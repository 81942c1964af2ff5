"""Word frequencies."""

import re
from collections import Counter

_WORD = re.compile(r"[A-Za-z']+")


def top_words(text, k):
    """Return the k most frequent words of text as (word, count) tuples."""
    if k < 0:
        raise ValueError("k must be >= 0")
    words = (w.strip("'").lower() for w in _WORD.findall(text))
    counts = Counter(w for w in words if w)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:k]
