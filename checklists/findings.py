"""What a finding from a failed item says: the item's finding text with the observed value, then the
inspector's note. Pure, like the scoring engine it follows.

A scored item may carry `finding: {vi, en}`, written as the minutes state a shortcoming ("{observed}
cases of late arrival against the attendance log"), where `{observed}` stands for what the
inspector recorded:

- a count item: the count (`3`);
- a percent item: the percentage, then the numerator and denominator (`40% (4/10)`; Vietnamese
  writes the decimal comma, `12,5% (1/8)`);
- a choice item: the label of the chosen option, in the language of the text;
- yes/no items have no value to show, so the validator refuses `{observed}` on them.

A partly met item reads the same as a failed one: the value says how far it fell short. An item
without a finding text keeps the old wording (the requirement itself), so inspections scored
against versions published before finding texts existed, and custom templates without them,
read as they always did.
"""

from __future__ import annotations

from checklists.format import (
    OBSERVED_PLACEHOLDER,
    AnyItem,
    ChoiceItem,
    CountItem,
    LocalizedText,
    PercentItem,
)
from checklists.scoring import Answer

NOTE_SEPARATOR = " — "


def observed_value(item: AnyItem, answer: Answer | None, language: str) -> str | None:
    """What the inspector recorded for `item`, as the minutes print it; None when the answer
    carries no value to print (a yes/no item, or nothing recorded)."""
    if answer is None:
        return None
    if isinstance(item, CountItem) and isinstance(answer.value, int):
        return str(answer.value)
    if isinstance(item, PercentItem):
        if answer.numerator is None or not answer.denominator:
            return None
        percentage = _decimal(answer.numerator * 100 / answer.denominator, language)
        return f"{percentage}% ({answer.numerator}/{answer.denominator})"
    if isinstance(item, ChoiceItem):
        option = next((each for each in item.options if each.key == answer.value), None)
        if option is None:
            return None
        return option.label.vi if language == "vi" else option.label.en
    return None


def finding_text(item: AnyItem, answer: Answer | None) -> LocalizedText:
    """The finding's description in both languages, before the inspector's note."""
    wording = getattr(item, "finding", None)
    if wording is None:
        return item.text
    return LocalizedText(
        vi=_filled(wording.vi, observed_value(item, answer, "vi")),
        en=_filled(wording.en, observed_value(item, answer, "en")),
    )


def description(item: AnyItem, answer: Answer | None) -> LocalizedText:
    """A finding's description as stored: the finding text, then the inspector's note in both
    languages. An item without a finding text keeps the wording of versions published before
    finding texts, exactly: the requirement, with the note in Vietnamese only."""
    text = finding_text(item, answer)
    note = answer.note if answer is not None else None
    if getattr(item, "finding", None) is None:
        return LocalizedText.model_construct(vi=with_note(text.vi, note), en=text.en)
    return LocalizedText.model_construct(vi=with_note(text.vi, note), en=with_note(text.en, note))


def with_note(text: str, note: str | None) -> str:
    """The inspector's note follows the finding, as it always has in the Vietnamese text."""
    cleaned = (note or "").strip()
    return f"{text}{NOTE_SEPARATOR}{cleaned}" if cleaned else text


def _filled(text: str, observed: str | None) -> str:
    # An answer with no value to print (e.g. the item failed because it was left unanswered)
    # still gives a readable sentence: an ellipsis marks what the inspector did not record.
    return text.replace(OBSERVED_PLACEHOLDER, observed if observed is not None else "…")


def _decimal(value: float, language: str) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if language == "vi" else text
