"""Event families: what a subject names instead of a topic, and the rule that turns a family into topics.

Why families, not topics: a topic must have one producing partner (so the broker's write ACL binds the
source) and one audience (so its read ACL gives nobody a subject the message book does not give them). A
subject several partners produce is therefore on several topics, one per producer: the subject names its
family, and its topic for producer ``p`` is ``chain.<p>.<family>``. A family holds subjects with the same
readers; where a producer's subjects of one theme have different readers, the theme is split into
``<theme>.<part>`` families (``case`` for what every partner reads, ``case.talk``, ``case.removability`` …).
A unit test holds every topic to one producer and one audience.
"""

from __future__ import annotations

from typing import NamedTuple


class Family(NamedTuple):
    """Subjects of one theme and one audience; ``name`` is the last part of their topics' names."""

    name: str
    description: str


CASE = Family("case", "Case lifecycle every partner reads: detention, departure confirmed or aborted, case closed")
HANDOVER = Family("case.handover", "Case handover with the return decision; carries the V-number (IND, DT&V, "
                  "COA, KMar, police only)")
TALK = Family("case.talk", "Departure talks held")
DOCUMENT_REQUESTED = Family("case.document-requested", "Travel documents requested")
DOCUMENT_OBTAINED = Family("case.document-obtained", "Travel documents obtained")
REMOVABILITY = Family("case.removability", "Removability confirmed")
FLIGHT_NOTIFIED = Family("case.flight-notified", "Flights notified to the partners")
FIT_TO_FLY = Family("fit-to-fly", "Fit-to-fly statements and their conditions (no diagnosis)")
MEDICAL = Family("medical", "Medical situation relevant to departure and postponement decisions (no diagnosis)")
MEDICAL_DETAILS = Family("medical.details", "Medical details (need-to-know: medical service and IND-BMA only)")
BELONGINGS = Family("belongings", "Personal belongings and baggage")
PHYSICAL_FEATURES = Family("physical-features", "Physical features for identification")
FLIGHT = Family("flight", "Flight bookings and cancellations")
ESCORT = Family("escort", "KMar escort plans")


def topic_name(producer: str, family: str) -> str:
    """The topic of ``family`` written by ``producer`` (a partner's value): ``chain.<producer>.<family>``."""
    return f"chain.{producer}.{family}"
