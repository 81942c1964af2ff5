"""Tasks, suites (bundled, Polyglot, SWE-bench) and grading."""
