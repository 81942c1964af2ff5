"""LLM providers, the gateway sandboxes talk to, pricing, budgets, recordings.

- :mod:`cladist.llm.contracts`: the Provider protocol, request/result types, errors;
- :mod:`cladist.llm.openai_provider`, :mod:`cladist.llm.anthropic_provider`,
  :mod:`cladist.llm.local`: the providers; :mod:`cladist.llm.factory` picks one from config;
- :mod:`cladist.llm.gateway` (+ :mod:`~cladist.llm.session`, :mod:`~cladist.llm.identity`,
  :mod:`~cladist.llm.budgets`,
  :mod:`~cladist.llm.recording`, :mod:`~cladist.llm.gateway_http`,
  :mod:`~cladist.llm.gateway_limits`, :mod:`~cladist.llm.api_errors`): the host-side
  endpoint on a Unix socket per session, bounded against a hostile agent;
- :mod:`cladist.llm.testing`: a scripted OpenAI/Anthropic server for tests;
- the agents' side is :mod:`cladist.agents.llm_client` (standard library only).

Nothing is imported here: SDKs load only when a provider is built.
"""
