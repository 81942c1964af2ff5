"""The simulated landscape: policies compared without an LLM, a sandbox or a database.

- ``landscape``: the hidden truth of a run (agents' qualities and metaproductivities);
- ``world``: the simulated executor and in-memory archive the real loop runs against;
- ``loop``: a simulated run driven by the real loop (:mod:`cladist.evolve.loop`);
- ``reference``: the stand-alone event loop kept as a cross-check, and ``SimResult``;
- ``metrics``: true clade metaproductivity, weighted Pearson correlation;
- ``runs``: every policy on the same seeds, summarised (``cladist sim``).
"""
