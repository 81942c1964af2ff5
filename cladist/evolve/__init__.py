"""The run loop: self-improvement step, workers, executors, budgets, resume."""
