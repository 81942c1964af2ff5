"""Aider's polyglot benchmark as a suite (a local clone; nothing is downloaded).

- ``suite.py``: the suite: exercises as tasks, protected files, what is not graded and why.
- ``test_names.py``: the test ids each exercise's tests define, read statically.
- ``js_names.py``, ``rust_names.py``: the readers of jest and Rust test names.
"""
