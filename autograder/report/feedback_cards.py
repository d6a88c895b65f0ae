"""What a feedback page says about each quantity: marks, "What to work on" cards, short notes.

Decided from the stored checks alone; the templates (``server/templates/feedback/``) word and lay
it out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autograder.judge.compare import NOT_DONE

PASS, FAIL, CARRIED = "✓", "✗", "✓*"


def mark(check: dict[str, Any] | None) -> tuple[str, str, str]:
    """(symbol, css class, words) for one check."""
    if check is None:
        return "–", "none", "not checked"
    if check["carried_forward"]:
        return CARRIED, "carried", "right given your earlier value"
    if check["passed"]:
        return PASS, "pass", "correct"
    return FAIL, "fail", "not right"


@dataclass
class Card:
    """One entry of "What to work on": a reason and the quantities it concerns."""

    kind: str  # "mistake" (a wrong value), "shared" (no value to check), "carried"
    names: list[str]
    title: str
    hint: str | None = None
    #: mistake cards: (label, case, expected, received, other cases it fails in)
    examples: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    unknown: bool = False
    reason: str = ""
    see_run: bool = False


def sorted_checks(
    checks: list[dict[str, Any]], q: str, order: dict[str, int]
) -> list[dict[str, Any]]:
    """One quantity's checks in the cases' order."""
    return sorted(
        (c for c in checks if c["quantity"] == q),
        key=lambda c: order.get(c["case_name"], len(order)),
    )


def work_on(checks: list[dict[str, Any]], cases: list[str], quantities: list[str]) -> list[Card]:
    """What needs attention, in the quantities' order: a wrong value gets a card with the named
    mistake's hint (or why it is wrong) and an example, on the published case when it fails there
    since the student can reproduce that one. Quantities failing for one shared reason (the same
    named mistake, not done yet, a crash) share one card, so a page never repeats itself."""
    order = {case: i for i, case in enumerate(cases)}
    wrong: dict[tuple[str, str], list[tuple[str, dict[str, Any], list[dict[str, Any]]]]] = {}
    shared: dict[tuple[str, str], list[str]] = {}
    carried_cards: list[Card] = []
    for q in quantities:
        mine = sorted_checks(checks, q, order)
        failed = [c for c in mine if not c["passed"]]
        carried = [c for c in mine if c["carried_forward"]]
        named = next((c for c in failed if c["mistake"]), None)
        if named is not None:
            wrong.setdefault((named["mistake"], named["hint"] or ""), []).append((q, named, failed))
        elif failed and (key := _shared_reason(failed[0]["message"])):
            shared.setdefault(key, []).append(q)
        elif failed:
            wrong.setdefault((f"{q}:", failed[0]["message"]), []).append((q, failed[0], failed))
        elif carried:
            carried_cards.append(Card("carried", [q], carried[0]["message"]))
    # Named mistakes first: they come with a hint, the most useful thing on the page.
    ranked = sorted(wrong.values(), key=lambda entries: not entries[0][1]["mistake"])
    cards = [_mistake_card(entries) for entries in ranked]
    for (title, reason), names in shared.items():
        cards.append(
            Card(
                "shared",
                names,
                title,
                reason=reason[:1].upper() + reason[1:],
                see_run=title != NOT_DONE,
            )
        )
    return cards + carried_cards


def _shared_reason(message: str) -> tuple[str, str] | None:
    """(title, reason) when a failure is not about the value itself, so that every quantity
    failing for it shares one card: not done yet, or no value because the program stopped."""
    if message.endswith(NOT_DONE):
        return NOT_DONE, message
    if message.startswith("not run:"):
        return "no value to check", "your program did not run far enough to compute it"
    if message.startswith("not computed:"):
        return "no value to check", message
    return None


def _mistake_card(entries: list[tuple[str, dict[str, Any], list[dict[str, Any]]]]) -> Card:
    """Wrong values for one reason: the mistake's name and hint (or why the value is wrong), then
    per quantity one example case, expected against received, and the other cases it fails in."""
    first = entries[0][1]
    examples = []
    for q, shown, failed in entries:
        others = ", ".join(c["case_name"] for c in failed if c is not shown)
        examples.append(
            (
                q if len(entries) > 1 else "",
                shown["case_name"],
                shown["expected"],
                shown["received"],
                others,
            )
        )
    return Card(
        "mistake",
        [q for q, _, _ in entries],
        first["mistake"] or first["message"],
        hint=first["hint"],
        examples=examples,
        unknown=not first["mistake"]
        and first["message"].startswith("wrong value")
        and "; it follows from" not in first["message"],
    )


def short_note(check: dict[str, Any]) -> tuple[str, str]:
    """(kind, text) of a few words for one check's row; "What to work on" tells the rest."""
    message = check["message"]
    if check["passed"] and not check["carried_forward"]:
        return "", ""
    if check["carried_forward"]:
        return "text", "error carried forward"
    if check["mistake"]:
        return "mistake", check["mistake"]
    for prefix in ("not run", "not computed"):
        if message.startswith(prefix):
            return "ran", prefix
    return "text", message.split(";")[0]
