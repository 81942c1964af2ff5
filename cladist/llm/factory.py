"""Building the provider and the gateway budgets a run's configuration asks for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cladist.llm.budgets import Budgets, Limit
from cladist.llm.contracts import Provider
from cladist.llm.pricing import PriceTable
from cladist.llm.retry import RetryPolicy

if TYPE_CHECKING:
    from pathlib import Path

    from cladist.archive.run import Run
    from cladist.config import BudgetConfig, Config, LLMConfig
    from cladist.llm.gateway import Gateway


def retry_policy(config: LLMConfig) -> RetryPolicy:
    """The retry bounds of ``config`` (``max_retries``, ``max_retry_s``)."""
    return RetryPolicy(max_retries=config.max_retries, max_time_s=config.max_retry_s)


def make_provider(config: LLMConfig) -> Provider:
    """The provider ``config`` names, ready to use; close it when done (for ``local`` that
    stops the model server).

    Raises ProviderAuthError (a needed key variable is unset), ConfigError (bad price
    overrides), ModelFileError (``llm.local_model``'s packages or file missing, truncated or
    corrupted), LocalModelError (llama-cpp-python missing, or the server failing to start).
    """
    prices = PriceTable(config.prices)
    common: dict[str, Any] = {"timeout_s": config.timeout_s, "prices": prices,
              "retry": retry_policy(config), "default_max_tokens": config.max_tokens}
    if config.provider == "openai":
        from cladist.llm.openai_provider import OpenAIProvider

        return OpenAIProvider(config.model, base_url=config.base_url,
                              key_env=config.api_key_env, **common)
    if config.provider == "anthropic":
        from cladist.llm.anthropic_provider import AnthropicProvider

        return AnthropicProvider(config.model, base_url=config.base_url,
                                 key_env=config.api_key_env, **common)
    from cladist.llm.local import LocalProvider
    from cladist.llm.models import resolve_local_model

    return LocalProvider(config.model, model_path=resolve_local_model(config.local_model),
                         ready_timeout_s=config.local_ready_timeout_s,
                         threads=config.local_threads, **common)


def make_budgets(config: LLMConfig, budget: BudgetConfig | None = None) -> Budgets:
    """The gateway budgets of ``config``; the run's dollar limit is ``budget.dollars``."""
    return Budgets(call=Limit(config.call_tokens, config.call_dollars),
                   session=Limit(config.session_tokens, config.session_dollars),
                   node=Limit(config.node_tokens, config.node_dollars),
                   run=Limit(config.run_tokens, budget.dollars if budget else None))


def make_gateway(config: Config, *, run: Run | None = None, folder: Path | None = None,
                 replay_only: bool = False) -> Gateway:
    """A gateway for ``config``: its provider (none when ``replay_only``), budgets and
    prices, recording into ``run`` or ``folder``. Closing the gateway leaves the provider
    open: close ``gateway.provider`` too. Raises what :func:`make_provider` raises and
    ConfigError (dollar budgets for an unpriced model)."""
    from cladist.llm.gateway import Gateway

    provider = None if replay_only else make_provider(config.llm)
    try:
        return Gateway(provider, run=run, folder=folder,
                       budgets=make_budgets(config.llm, config.budget),
                       prices=getattr(provider, "prices", None) or PriceTable(config.llm.prices),
                       default_max_tokens=config.llm.max_tokens)
    except BaseException:
        if provider is not None:
            provider.close()
        raise
