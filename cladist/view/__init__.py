"""Web viewer of a run and plots."""
