"""LLM providers, the gateway sandboxes talk to, pricing, budgets, recordings."""
