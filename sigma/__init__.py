"""The ``sigma`` command line: the composition root, above every other room. Nothing imports it."""
