"""Benchmark suites: the bundled suite shipped with cladist (and others beside it)."""
