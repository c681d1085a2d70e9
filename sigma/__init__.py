"""Runtime of the Sigma chain exchange: settings, logging, Kafka clients, the embedded broker, the CLI.

Kept small on purpose: the domain lives in ``schemas``, ``producers``, ``consumers`` and ``validator``;
this package only wires them to a process and a cluster. Nothing here imports ``sigma.cli``.
"""

__version__ = "0.1.0"
