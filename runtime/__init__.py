"""The runtime, the ground floor of the Sigma chain exchange: settings, logging, Kafka clients, errors,
the embedded broker and topic creation.

Kept small on purpose: the domain lives in ``schemas``, ``producers``, ``consumers`` and ``validator``;
this package only wires them to a process and a cluster, and imports none of them.
"""

__version__ = "0.1.0"
