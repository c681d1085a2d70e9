"""The ``sigma`` command line: the composition root. Nothing imports this package."""
