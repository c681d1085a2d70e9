"""Defect profiles: per responsible partner and category, the rate of each defect kind.

Profiles are TOML files so that analysts can add or tune one without touching code. The built-in ones
live in ``producers/profiles/``; ``--profile`` takes one of their names or the path of a custom file::

    name = "my-profile"
    description = "what it models"
    source = "where its rates come from"   # optional
    [rates.dtv.physical_features]   # partner . category
    missing = 0.17                  # kind = share of the checked cases this partner is responsible for
    late = 0.02
    [publication_delay]             # optional: hours each partner publishes after recording
    coa = 1.5
    [publication_batch]             # optional: each partner publishes in batches every so many hours
    ind = 24
    [office_delay]                  # optional: a partner's second office (half its cases) publishes later
    ind = 48

Kinds of one category exclude each other (a category has at most one defect), so their rates add up
to at most 1. Which partner can be responsible for which category, and which kinds a category can
have, is fixed by the injection table (:mod:`producers.injection`): what the simulator can inject.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from producers.injection import KINDS, RESPONSIBLE
from runtime.errors import UsageError
from schemas.categories import Category, DefectKind
from schemas.events import Partner

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"

_E = TypeVar("_E", Partner, Category, DefectKind)

Rates = dict[tuple[Partner, Category], dict[DefectKind, float]]


@dataclass(frozen=True)
class Profile:
    """A named set of defect rates."""

    name: str
    description: str
    rates: Rates = field(default_factory=dict)
    source: str = ""
    """Where the rates come from (the fidelity table names it beside the defect rates it claims)."""
    publication_delays: dict[Partner, float] = field(default_factory=dict)
    """Hours after recording at which each partner publishes (absent: at once)."""
    publication_batches: dict[Partner, float] = field(default_factory=dict)
    """Hours between a partner's batch exports: it publishes what it recorded (and delayed) at the next
    multiple of that period (absent: as it goes)."""
    office_delays: dict[Partner, float] = field(default_factory=dict)
    """Hours the second office of a partner (half its cases, ``producers.delivery.second_office``) publishes
    after its first (absent: both at once)."""

    def delay_seconds(self) -> dict[str, int]:
        """Each partner's publication delay in whole simulated seconds, by partner name."""
        return _seconds(self.publication_delays)

    def batch_seconds(self) -> dict[str, int]:
        """Each partner's batch period in whole simulated seconds, by partner name."""
        return _seconds(self.publication_batches)

    def office_seconds(self) -> dict[str, int]:
        """Each partner's second-office delay in whole simulated seconds, by partner name."""
        return _seconds(self.office_delays)

    def kinds_for(self, partner: Partner, category: Category) -> dict[DefectKind, float]:
        """Rates of each kind for this partner and category (empty: never defective)."""
        return self.rates.get((partner, category), {})


def _seconds(hours: dict[Partner, float]) -> dict[str, int]:
    return {p.value: round(h * 3600) for p, h in hours.items() if h}


def known_profiles() -> list[str]:
    """Names of the built-in profiles."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.toml"))


def load_profile(name_or_path: str) -> Profile:
    """A built-in profile by name, or a profile file by path; a usage error names the known ones."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.is_file():
        if not path.is_file():
            raise UsageError(f"profile file not found: {name_or_path}",
                             fix="give an existing .toml file or one of: " + ", ".join(known_profiles()))
        return parse_profile(path)
    builtin = PROFILES_DIR / f"{name_or_path}.toml"
    if not builtin.is_file():
        raise UsageError(f"unknown profile '{name_or_path}'",
                         fix="use one of: " + ", ".join(known_profiles()) + ", or the path of a .toml file")
    return parse_profile(builtin)


def parse_profile(path: Path) -> Profile:
    """Read and check one profile file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read profile {path}: {exc}", fix="fix the file (TOML)") from exc
    return profile_from_mapping(data, source=str(path))


def profile_from_mapping(data: dict[str, Any], *, source: str) -> Profile:
    """Check a parsed profile: known partners, categories and kinds, rates in [0, 1] adding up to at most 1."""
    unknown = set(data) - {"name", "description", "source", "rates", *_SCHEDULES}
    if unknown:
        raise _bad(source, f"unknown key(s) {', '.join(sorted(unknown))}",
                   "use name, description, source, [rates], [publication_delay], [publication_batch] and "
                   "[office_delay]")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise _bad(source, "no name", 'add name = "…"')
    description, origin = data.get("description", ""), data.get("source", "")
    if not isinstance(description, str) or not isinstance(origin, str):
        raise _bad(source, "description or source is not a string", "quote it")
    rates: Rates = {}
    for partner_name, categories in _table(data.get("rates", {}), source, "rates").items():
        partner = _enum(Partner, partner_name, source, "partner")
        for category_name, kinds in _table(categories, source, f"rates.{partner_name}").items():
            category = _enum(Category, category_name, source, "category")
            where = f"rates.{partner_name}.{category_name}"
            if partner not in RESPONSIBLE[category]:
                owners = ", ".join(sorted(p.value for p in RESPONSIBLE[category]))
                raise _bad(source, f"{where}: {partner.value} is never responsible for {category.value}",
                           f"use {owners}")
            rates[(partner, category)] = _kinds(_table(kinds, source, where), category, source, where)
    delays, batches, offices = ({_enum(Partner, partner, source, "partner"): _delay(hours, source, f"{table}.{partner}")
                        for partner, hours in _table(data.get(table, {}), source, table).items()}
                       for table in _SCHEDULES)
    return Profile(name, description, rates, origin, delays, batches, offices)


_SCHEDULES = ("publication_delay", "publication_batch", "office_delay")
"""The profile's tables of hours per partner: delays, batch periods, then second-office delays."""


def parse_hours(flag: str, text: str) -> tuple[Partner, float]:
    """``PARTNER=HOURS`` (the ``--publication-delay``, ``--publication-batch`` and ``--office-delay`` flags) as a
    partner and hours."""
    name, _, hours = text.partition("=")
    partners = ", ".join(p.value for p in Partner)
    try:
        partner, value = Partner(name.strip()), float(hours)
    except ValueError:
        raise UsageError(f"{flag} {text}: expected PARTNER=HOURS with PARTNER one of {partners}",
                         fix=f"give for example {flag} coa=1.5") from None
    if not _is_delay(value):
        raise UsageError(f"{flag} {text}: hours must be from 0 to {MAX_DELAY_HOURS}",
                         fix=f"give for example {flag} coa=1.5")
    return partner, value


MAX_DELAY_HOURS = 720
"""A month: a partner further behind than that is not delayed but down."""


def _is_delay(hours: Any) -> bool:
    return not isinstance(hours, bool) and isinstance(hours, int | float) and 0 <= hours <= MAX_DELAY_HOURS


def _delay(hours: Any, source: str, where: str) -> float:
    if not _is_delay(hours):
        raise _bad(source, f"{where} must be a number of hours from 0 to {MAX_DELAY_HOURS}", "give for example 1.5")
    return float(hours)


def _kinds(kinds: dict[str, Any], category: Category, source: str, where: str) -> dict[DefectKind, float]:
    result: dict[DefectKind, float] = {}
    for kind_name, rate in kinds.items():
        kind = _enum(DefectKind, kind_name, source, "kind")
        if kind not in KINDS[category]:
            allowed = ", ".join(k.value for k in KINDS[category])
            raise _bad(source, f"{where}: {category.value} cannot be {kind.value}", f"use {allowed}")
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise _bad(source, f"{where}.{kind.value} must be a number from 0 to 1", "give a share such as 0.17")
        result[kind] = float(rate)
    if sum(result.values()) > 1 + 1e-9:
        raise _bad(source, f"{where}: rates add up to more than 1", "a category has at most one defect per case")
    return result


def _table(value: Any, source: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(source, f"{where} is not a table", f"write [{where}.…] sections")
    return value


def _enum(kind: type[_E], value: str, source: str, what: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise _bad(source, f"unknown {what} '{value}'", f"use one of {allowed}") from None


def _bad(source: str, problem: str, fix: str) -> UsageError:
    return UsageError(f"invalid profile {source}: {problem}", fix=fix)
