"""Dollar cost of a call: the price table shipped in ``prices.json``, overridable by config.

Prices are dollars per million tokens of three kinds: ``input`` (prompt tokens not read from
the cache), ``output`` and ``cached`` (prompt tokens read from the provider's cache). A model
name matches a table entry exactly, or as that entry plus a date or ``-latest`` suffix (so
``gpt-4o-2024-08-06`` is priced as ``gpt-4o``), after dropping a ``vendor/`` prefix. Other
names are unknown on purpose (``gpt-5.4-mini`` is not ``gpt-5``): a wrong price is worse
than none, and dollar budgets refuse to start without one. Prices change: check them and
override in ``llm.prices``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

from cladist.errors import ConfigError
from cladist.llm.contracts import Usage

_KINDS = ("input", "output", "cached")
_DATED = re.compile(r"(-\d{4}-\d{2}-\d{2}|-\d{8}|-latest|@\d{8})$")


@dataclass(frozen=True)
class Price:
    """Dollars per million input, output and cached-input tokens."""

    input: float
    output: float
    cached: float

    def cost(self, usage: Usage) -> float:
        """Dollars for ``usage`` (cached tokens are a part of the input tokens)."""
        cached = min(usage.cached_tokens, usage.input_tokens)
        fresh = usage.input_tokens - cached
        return (fresh * self.input + cached * self.cached
                + usage.output_tokens * self.output) / 1_000_000


class PriceTable:
    """The shipped prices merged with overrides (``LLMConfig.prices``).

    Raises ConfigError when an override has an unknown kind or a negative price.
    """

    def __init__(self, overrides: Mapping[str, Mapping[str, float]] | None = None):
        self._prices = dict(_shipped())
        for model, spec in (overrides or {}).items():
            bad = [k for k in spec if k not in _KINDS]
            if bad:
                raise ConfigError([f"llm.prices.{model}.{bad[0]}: unknown price kind "
                                   f"(allowed: {', '.join(_KINDS)})"])
            if any(float(v) < 0 for v in spec.values()):
                raise ConfigError([f"llm.prices.{model}: prices must be >= 0"])
            base = self._prices.get(model)
            merged = {k: float(spec.get(k, getattr(base, k) if base else 0.0)) for k in _KINDS}
            if base is None and "cached" not in spec:
                merged["cached"] = merged["input"]  # no known cache discount
            self._prices[model] = Price(**merged)

    def setdefault(self, model: str, price: Price) -> None:
        """Price ``model`` at ``price`` unless the table already prices it."""
        if self.lookup(model) is None:
            self._prices[model] = price

    def lookup(self, model: str) -> Price | None:
        """The price of ``model`` (exact, then dated), or None when unknown."""
        name = model.split("/", 1)[1] if "/" in model and model not in self._prices else model
        if name in self._prices:
            return self._prices[name]
        base = _DATED.sub("", name)
        return self._prices.get(base)

    def cost(self, model: str, usage: Usage) -> float:
        """Dollars for ``usage`` on ``model``; 0.0 for a model with no price (check
        :meth:`lookup` first where an unknown price matters, e.g. dollar budgets)."""
        price = self.lookup(model)
        return price.cost(usage) if price else 0.0


def _shipped() -> dict[str, Price]:
    text = (resources.files("cladist.llm") / "prices.json").read_text()
    return {name: Price(**spec) for name, spec in json.loads(text).items()
            if not name.startswith("_")}
