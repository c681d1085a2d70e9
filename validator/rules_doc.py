"""docs/rules.md, generated from the rule table so the documentation cannot drift from the code.

Run ``python -m validator.rules_doc > docs/rules.md`` (``make docs`` does); a test fails when it is stale.
"""

from __future__ import annotations

from validator import rules


def render() -> str:
    """The rules page as Markdown."""
    lines = [
        "# Completeness rules",
        "",
        "Generated from `validator/rules.py` (`make docs`); do not edit by hand.",
        "",
        *(line.strip() for line in (rules.__doc__ or "").strip().splitlines()),
        "",
        "| rule | category | responsible | severity | holds when |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| `{r.id}` | {r.category.value} | {r.partners.replace('|', ', ')} | {r.severity} | {r.description} |"
              for r in rules.RULES]
    lines += ["", "Within a category the first rule that finds a defect wins (presence before content): a case "
              "has at most one defect per category, of kind missing, late, contradictory or invalid.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(), end="")
