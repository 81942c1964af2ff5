"""cladist: grow a tree of self-modifying coding agents.

Importing the package is cheap: heavy dependencies (docker, swebench, ray, llama_cpp,
SQLAlchemy, GitPython) are imported lazily by the modules that need them.
"""

__version__ = "0.1.0"
