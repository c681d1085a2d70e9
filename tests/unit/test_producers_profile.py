"""Defect profiles as files, and the calibrated deck that deals them."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from producers.deck import DefectDeck, build_deck
from producers.profile import known_profiles, load_profile, profile_from_mapping
from runtime.errors import UsageError
from schemas.categories import Category, DefectKind
from schemas.events import Partner


def test_the_built_in_profiles_are_files() -> None:
    assert {"ideal", "inspectie-2018"} <= set(known_profiles())
    assert load_profile("ideal").rates == {}
    inspectie = load_profile("inspectie-2018")
    assert inspectie.kinds_for(Partner.DJI, Category.BELONGINGS) == {DefectKind.MISSING: 0.45}
    assert inspectie.kinds_for(Partner.COA, Category.BELONGINGS) == {DefectKind.MISSING: 0.45}
    assert inspectie.kinds_for(Partner.KMAR, Category.BELONGINGS) == {}


def test_an_unknown_profile_is_a_usage_error_listing_the_known_ones() -> None:
    with pytest.raises(UsageError) as caught:
        load_profile("inspectie-2019")
    assert "unknown profile 'inspectie-2019'" in str(caught.value)
    assert "ideal" in str(caught.value) and "inspectie-2018" in str(caught.value)
    with pytest.raises(UsageError, match="profile file not found"):
        load_profile("nowhere/custom.toml")


def test_a_custom_profile_file_by_path(tmp_path: Path) -> None:
    path = tmp_path / "late-escorts.toml"
    path.write_text('name = "late-escorts"\n[rates.kmar.escort]\nlate = 0.3\ncontradictory = 0.2\n')
    profile = load_profile(str(path))
    assert profile.name == "late-escorts"
    assert profile.kinds_for(Partner.KMAR, Category.ESCORT) == {DefectKind.LATE: 0.3, DefectKind.CONTRADICTORY: 0.2}


@pytest.mark.parametrize(("rates", "message"), [
    ({"ministry": {"escort": {"late": 0.1}}}, "unknown partner 'ministry'"),
    ({"kmar": {"luggage": {"late": 0.1}}}, "unknown category 'luggage'"),
    ({"kmar": {"escort": {"lost": 0.1}}}, "unknown kind 'lost'"),
    ({"coa": {"escort": {"late": 0.1}}}, "coa is never responsible for escort"),
    ({"dtv": {"flight_booking": {"missing": 0.1}}}, "flight_booking cannot be missing"),
    ({"kmar": {"escort": {"late": 1.5}}}, "must be a number from 0 to 1"),
    ({"kmar": {"escort": {"late": "often"}}}, "must be a number from 0 to 1"),
    ({"kmar": {"escort": {"late": 0.6, "missing": 0.6}}}, "add up to more than 1"),
    ({"kmar": "late"}, "rates.kmar is not a table"),
])
def test_a_wrong_profile_says_what_and_where(rates: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        profile_from_mapping({"name": "x", "rates": rates}, source="x.toml")


def test_a_profile_names_where_its_rates_come_from() -> None:
    assert "seed 001" in load_profile("inspectie-2018").source
    assert load_profile("ideal").source == ""
    assert profile_from_mapping({"name": "x", "source": "a study"}, source="x.toml").source == "a study"
    with pytest.raises(UsageError, match="description or source is not a string"):
        profile_from_mapping({"name": "x", "source": 2018}, source="x.toml")


def test_a_profile_needs_a_name_and_known_keys(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no name"):
        profile_from_mapping({"rates": {}}, source="x.toml")
    with pytest.raises(UsageError, match="unknown key"):
        profile_from_mapping({"name": "x", "rate": {}}, source="x.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n")
    with pytest.raises(UsageError, match="cannot read profile"):
        load_profile(str(broken))


def test_a_deck_holds_each_rate_exactly_and_overlaps_like_independent_draws() -> None:
    profile = load_profile("inspectie-2018")
    responsible = {Category.BELONGINGS: Partner.DJI, Category.PHYSICAL_FEATURES: Partner.DTV,
                   Category.MEDICAL: Partner.MEDICAL, Category.FIT_TO_FLY: Partner.MEDICAL}
    cards = build_deck(profile, responsible, random.Random(1), 1000)
    assert sum(Category.BELONGINGS in c for c in cards) == 450
    assert sum(Category.PHYSICAL_FEATURES in c for c in cards) == 170
    assert sum(Category.MEDICAL in c for c in cards) == 120
    assert sum(Category.FIT_TO_FLY in c for c in cards) == 40
    expected_any = 1 - 0.55 * 0.83 * 0.88 * 0.96
    assert sum(bool(c) for c in cards) == pytest.approx(1000 * expected_any, abs=2)
    both = sum(Category.BELONGINGS in c and Category.PHYSICAL_FEATURES in c for c in cards)
    assert both == pytest.approx(1000 * 0.45 * 0.17, abs=2)


def test_dealing_reshuffles_when_a_deck_is_used_up() -> None:
    profile = profile_from_mapping({"name": "x", "rates": {"kmar": {"escort": {"late": 0.25}}}}, source="x")
    deck = DefectDeck(profile, random.Random(2), size=8)
    dealt = [deck.deal({Category.ESCORT: Partner.KMAR}) for _ in range(24)]
    for block in (dealt[:8], dealt[8:16], dealt[16:]):
        assert sum(bool(card) for card in block) == 2
    assert dealt[:8] != dealt[8:16] or dealt[8:16] != dealt[16:]
