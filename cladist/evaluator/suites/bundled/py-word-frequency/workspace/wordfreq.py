"""Word frequencies."""


def top_words(text, k):
    """Return the k most frequent words of text as (word, count) tuples."""
    raise NotImplementedError
