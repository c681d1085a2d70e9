"""Who may do what on the chain's topics, derived from the message book (the ACL plan).

Why derived: the message book already says who produces and who reads each subject; the broker's ACLs
must say the same, so they are computed from it instead of being written by hand a second time.
"""

from __future__ import annotations

from schemas.events.base import Partner

VALIDATOR = "validator"
"""The completeness validator: reads every chain topic, writes findings and dead letters."""
TOOLS = "tools"
"""The record, replay and redrive tools."""
ADMIN = "admin"
"""The operator: a super user (creates topics, sets ACLs); no ACL names it."""

PRINCIPALS: tuple[str, ...] = (*(p.value for p in Partner), VALIDATOR, TOOLS, ADMIN)
"""One principal per partner, the validator, the tools and the admin."""
