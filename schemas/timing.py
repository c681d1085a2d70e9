"""The chain's clock conventions that producers and the validator must share.

Why here: the simulator's ground truth counts late deliveries as a validator with the same allowed lateness
must, so both read the default from one place below them.
"""

from __future__ import annotations

DEFAULT_ALLOWED_LATENESS_HOURS = 1.0
"""Event time a case waits after its checkpoint for evidence recorded before it to arrive. Why an hour: the
slowest regular publication a partner system has is an hourly batch export, whose records are up to an hour
old when they arrive; each hour more delays every finding by as much in event time."""
