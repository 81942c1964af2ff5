"""Policies choosing what to expand and what to evaluate; the simulated landscape."""
