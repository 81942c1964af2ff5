"""Allow ``python -m cladist``."""

from cladist.cli import main

main()
