"""Publication delays: each partner's events move later by its delay, in publication order, nothing lost."""

from __future__ import annotations

import dataclasses

import pytest

from producers.delivery import published, second_office
from producers.profile import Profile, load_profile, parse_hours, profile_from_mapping
from producers.runner import SimulationRun, generate
from runtime.errors import UsageError
from schemas.events import Partner


def _stream(delays: dict[Partner, float]) -> list[tuple[int, str, str]]:
    profile = dataclasses.replace(load_profile("inspectie-2018"), publication_delays=delays)
    run = SimulationRun(cases=60, seed=4, profile=profile, topic_prefix="", case_key_secret=b"delivery")
    return [(at, out.partner, out.value.hex()) for batch in generate(run, None) for at, out in batch]


def test_a_partners_delay_moves_only_its_events_and_the_stream_stays_in_publication_order() -> None:
    prompt, delayed = _stream({}), _stream({Partner.IND: 24.0})
    assert sorted(e[1:] for e in prompt) == sorted(e[1:] for e in delayed)  # the same events, none lost
    assert [at for at, *_ in delayed] == sorted(at for at, *_ in delayed)
    recorded = {value: at for at, _, value in prompt}
    shifts = {partner: {at - recorded[value] for at, p, value in delayed if p == partner} for partner in
              {p for _, p, _ in prompt}}
    assert shifts.pop("ind") == {24 * 3600}
    assert all(shift == {0} for shift in shifts.values())


def test_a_batch_partner_publishes_at_the_next_multiple_of_its_period_after_its_delay() -> None:
    events = [(100, _Event("dji")), (3_500, _Event("ind")), (3_600, _Event("ind")), (3_601, _Event("ind")),
              (5_000, _Event("coa"))]
    assert [(at, e.partner.value) for at, e in published(events, {"ind": 60}, {"ind": 3_600})] == [  # type: ignore[arg-type]
        (100, "dji"), (3_600, "ind"), (5_000, "coa"), (7_200, "ind"), (7_200, "ind")]


def test_a_second_office_publishes_half_the_partners_cases_later_by_case_key() -> None:
    events = [(3_600 * n, _Event("ind", f"case-{n}")) for n in range(40)] + [(200_000, _Event("coa", "case-0"))]
    late = {e.case_key for e in (e for _, e in events) if second_office(e.case_key)}
    assert 10 < len(late) < 30  # about half the cases
    out = list(published(events, {}, None, {"ind": 86_400}))  # type: ignore[arg-type]
    assert sorted(at for at, _ in out) == [at for at, _ in out]
    assert {e.case_key: at - int(e.case_key.split("-")[1]) * 3_600 for at, e in out if e.partner is Partner.IND} \
        == {key: 86_400 if key in late else 0 for key in (f"case-{n}" for n in range(40))}
    assert [at for at, e in out if e.partner is Partner.COA] == [200_000]  # other partners: both offices at once


def test_ties_keep_the_recorded_order() -> None:
    events = [(10, _Event("ind")), (10, _Event("coa")), (12, _Event("ind"))]
    assert [(at, e.partner.value) for at, e in published(events, {"coa": 2})] == [  # type: ignore[arg-type]
        (10, "ind"), (12, "coa"), (12, "ind")]


@dataclasses.dataclass
class _Event:
    name: str
    case_key: str = "case"

    @property
    def partner(self) -> Partner:
        return Partner(self.name)


def test_the_flag_and_the_profile_table_give_delays_in_hours() -> None:
    assert parse_hours("--publication-delay", "coa=1.5") == (Partner.COA, 1.5)
    assert parse_hours("--office-delay", "ind=48") == (Partner.IND, 48.0)
    profile = profile_from_mapping({"name": "p", "publication_delay": {"ind": 24}, "publication_batch": {"dtv": 6},
                                    "office_delay": {"coa": 0.5}}, source="p.toml")
    assert isinstance(profile, Profile) and profile.delay_seconds() == {"ind": 86_400}
    assert profile.batch_seconds() == {"dtv": 6 * 3600}
    assert profile.office_seconds() == {"coa": 1800}


@pytest.mark.parametrize(("text", "says"), [("coa", "expected PARTNER=HOURS"), ("nobody=1", "expected PARTNER=HOURS"),
                                            ("coa=soon", "expected PARTNER=HOURS"), ("coa=-1", "from 0 to 720")])
def test_a_bad_delay_flag_is_a_usage_error_naming_the_form(text: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        parse_hours("--publication-delay", text)


@pytest.mark.parametrize("table", ["publication_delay", "office_delay"])
def test_a_bad_delay_in_a_profile_names_the_key(table: str) -> None:
    with pytest.raises(UsageError, match=rf"{table}\.coa must be a number of hours"):
        profile_from_mapping({"name": "p", table: {"coa": "1h"}}, source="p.toml")
