"""English and Dutch labels for what the report names: categories, defect kinds, partners, subjects, rules.

Why here and not in the vocabulary (``schemas.categories``, ``validator.rules``): the ids there are the
chain's contract and must not change; labels are presentation and may. The English rule descriptions stay
in ``validator/rules.py`` (one source, also for ``docs/rules.md``); only their Dutch wording is here. A test
fails when a category, kind, partner, subject or rule has no label in both languages.
"""

from __future__ import annotations

from validator import rules

Label = tuple[str, str]
"""(English, Dutch)."""

CATEGORIES: dict[str, Label] = {
    "belongings": ("Belongings", "Bezittingen"),
    "physical_features": ("Physical features", "Signalement"),
    "medical": ("Medical situation", "Medische situatie"),
    "fit_to_fly": ("Fit to fly", "Fit-to-fly-verklaring"),
    "baggage": ("Baggage", "Bagage"),
    "flight_booking": ("Flight booking", "Vluchtboeking"),
    "notification": ("Notification of the flight", "Aanzegging van de vlucht"),
    "travel_document": ("Travel document", "Reisdocument"),
    "removability": ("Removability", "Uitzetbaarheid"),
    "escort": ("Escort", "Begeleiding"),
}

KINDS: dict[str, Label] = {
    "missing": ("missing", "ontbreekt"),
    "late": ("late", "te laat"),
    "contradictory": ("contradictory", "tegenstrijdig"),
    "invalid": ("invalid", "ongeldig"),
}

PARTNERS: dict[str, Label] = {
    "ind": ("IND", "IND"),
    "coa": ("COA", "COA"),
    "dtv": ("DT&V", "DT&V"),
    "kmar": ("KMar", "KMar"),
    "police": ("Police (AVIM)", "Politie (AVIM)"),
    "dji": ("DJI (detention)", "DJI (detentie)"),
    "dvo": ("DV&O (transport)", "DV&O (vervoer)"),
    "medical": ("Medical service", "Medische dienst"),
}

SUBJECTS: dict[str, Label] = {
    "case_handed_over": ("Case handed over", "Zaak overgedragen"),
    "departure_talk_held": ("Departure talk held", "Vertrekgesprek gevoerd"),
    "travel_document_requested": ("Travel document requested", "Reisdocument aangevraagd"),
    "travel_document_obtained": ("Travel document obtained", "Reisdocument verkregen"),
    "detention_started": ("Detention started", "Bewaring gestart"),
    "detention_ended": ("Detention ended", "Bewaring beëindigd"),
    "removability_confirmed": ("Removability confirmed", "Uitzetbaarheid bevestigd"),
    "flight_notified": ("Flight notified", "Vlucht aangezegd"),
    "departure_confirmed": ("Departure confirmed", "Vertrek bevestigd"),
    "departure_aborted": ("Departure aborted", "Vertrek afgebroken"),
    "case_closed": ("Case closed", "Zaak gesloten"),
    "fit_to_fly": ("Fit-to-fly statement", "Fit-to-fly-verklaring"),
    "medical_situation": ("Medical situation", "Medische situatie"),
    "medical_details": ("Medical details (not shown)", "Medische details (niet getoond)"),
    "belongings": ("Belongings", "Bezittingen"),
    "physical_features": ("Physical features", "Signalement"),
    "flight_booking": ("Flight booking", "Vluchtboeking"),
    "escort_plan": ("Escort plan", "Begeleidingsplan"),
}

RECORDS: dict[str, Label] = {
    "consumed": ("consumed", "gelezen"), "processed": ("processed", "verwerkt"),
    "duplicates": ("duplicates", "dubbel ontvangen"), "dead_lettered": ("dead-lettered", "apart gezet (DLQ)")}
"""The record counters of the report data (another counter shows its own name)."""

SEVERITIES: dict[str, Label] = {"critical": ("critical", "kritiek"), "major": ("major", "belangrijk")}

_RULES_NL: dict[str, str] = {
    "BEL-001": "Bezittingen op tijd geregistreerd door de houder (DJI bij bewaring op het controlemoment, "
               "anders COA)",
    "BAG-001": "Partners die de bagage onder zich hebben noemen hetzelfde aantal stuks (laatste melding van elk, "
               "op tijd)",
    "PHY-001": "Signalement op tijd vastgelegd",
    "MED-001": "Medische situatie op tijd vastgelegd",
    "MED-002": "Geen medisch uitstel dat doorloopt tot op de vertrekdatum",
    "FTF-001": "Fit-to-fly-verklaring op tijd aanwezig",
    "FTF-002": "Laatste fit-to-fly-verklaring zegt fit en blijft geldig tot na de vlucht",
    "FLT-001": "Boeking is plausibel: de luchthaven van aankomst verschilt van die van vertrek",
    "NOT-001": "De persoon is ten minste 48 uur voor vertrek op de hoogte gebracht van de geboekte vlucht",
    "TRD-001": "Reisdocument op tijd verkregen",
    "TRD-002": "Laatste reisdocument is geldig op de vluchtdatum",
    "REM-001": "IND heeft de uitzetbaarheid op tijd bevestigd",
    "REM-002": "Laatste bevestiging zegt uitzetbaar, zonder lopende procedure",
    "ESC-001": "Begeleidingsplan van de KMar voor de boeking op tijd aanwezig",
    "ESC-002": "Begeleidingsplan komt overeen met het aantal geboekte begeleiders",
}

RULES: dict[str, Label] = {r.id: (r.description, _RULES_NL.get(r.id, "")) for r in rules.RULES}
"""Per rule id: its description in English (from the rule table) and Dutch."""

GROUPS: dict[str, dict[str, Label]] = {
    "category": CATEGORIES, "kind": KINDS, "partner": PARTNERS, "subject": SUBJECTS, "rule": RULES,
    "severity": SEVERITIES}
"""Every label table by the name the pages' script looks them up under."""


def label(group: str, key: str) -> Label:
    """The labels of ``key``, or the key itself in both languages when it has none (a new id still shows)."""
    return GROUPS[group].get(key, (key, key))
