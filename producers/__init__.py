"""The chain partners: a typed publisher and simulated IND, COA, DT&V, KMar (and others)."""
