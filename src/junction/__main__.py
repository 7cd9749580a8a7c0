"""``python -m junction`` is the same as the ``junction`` command."""

from junction.cli.main import main

main()
