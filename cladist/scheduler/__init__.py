"""Policies choosing what to expand and what to evaluate; the simulated landscape.

- ``contracts``: Expand / Evaluate / Wait decisions, Budget, the Policy protocol;
- ``state``: TreeState, the in-memory tree the policies read (``TreeState.from_store``);
- ``policies``: ``make_policy(config)`` and the simulator-only OraclePolicy;
- ``hgm``, ``dgm`` (dgm, greedy, uniform), ``staging``, ``sampling``, ``correction``;
- ``landscape``, ``simulator``, ``metrics``, ``simulate`` (``python -m
  cladist.scheduler.simulate``): the simulated landscape and policy comparisons.
"""
