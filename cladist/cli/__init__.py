"""The ``cladist`` command line, one module per command group.

Imports point one way: :mod:`cladist.cli.app` holds the Typer apps, the shared option
types and helpers; each command module (``runs``, ``config``, ``sandbox``, ``llm``,
``replay``, ``evolve``, ``view``) imports from it only; :mod:`cladist.cli.main` imports
every command module (so they register) and is the console entry point. This file
imports nothing, so loading one module of the package loads no other.
"""
