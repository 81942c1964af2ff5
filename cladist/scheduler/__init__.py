"""Policies choosing what to expand and what to evaluate, and the tree state they read.

- ``contracts``: Expand / Evaluate / Wait decisions, Budget, the Policy protocol;
- ``state``: TreeState, the in-memory tree the policies read (``ancestry``: its cache);
  ``restore.restore_state`` rebuilds it from a run;
- ``policies``: ``make_policy(config)`` and the simulator-only OraclePolicy;
- ``hgm``, ``dgm`` (dgm, greedy, uniform), ``staging``, ``sampling``, ``correction``.

The simulated landscape the policies are compared on lives in :mod:`cladist.sim`.
"""
