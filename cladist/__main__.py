"""Allow ``python -m cladist``."""

from cladist.cli.main import main

main()
