"""Texts the ledger's reader and rules word for people, in Vietnamese and English.

Each import issue and each flag's detail is made in both languages at once (a :class:`Text`),
so the HTTP answers carry both (``message_vi``/``message_en``, ``detail_vi``/``detail_en``) and
their ``message``/``detail`` in the language the request asks for (:func:`pick_language`). No
I/O; the words are for commune officials, so the Vietnamese is the administrative one they read
in the one-stop shop's own forms.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal, TypeVar

from server.core.errors import DomainError

Language = Literal["vi", "en"]
LANGUAGES: Final[tuple[Language, ...]] = ("vi", "en")


@dataclass(frozen=True, slots=True)
class Text:
    """One text in both languages. ``str()`` is the English, for logs and the command line."""

    vi: str
    en: str

    def __str__(self) -> str:
        return self.en

    def in_language(self, language: Language) -> str:
        return self.vi if language == "vi" else self.en

    def __add__(self, other: Text) -> Text:
        return Text(self.vi + other.vi, self.en + other.en)


def joined(texts: Iterable[Text], separator: str = "; ") -> Text:
    texts = list(texts)
    return Text(
        separator.join(text.vi for text in texts), separator.join(text.en for text in texts)
    )


def pick_language(asked: str | None, user_language: str | None) -> Language:
    """The language of a request's texts: ``?lang=`` when given, else the user's own setting
    (``app_user.language``), else Vietnamese."""
    for candidate in (asked, user_language):
        if candidate in LANGUAGES:
            return candidate  # type: ignore[return-value]
    return "vi"


def quoted_vi(value: object) -> str:
    """A cell's value inside a Vietnamese sentence: «05/03/2024»."""
    return f"«{value}»"


def day_text(day: date) -> str:
    """dd/MM/yyyy, as both languages write dates on these screens."""
    return f"{day:%d/%m/%Y}"


Refusal = TypeVar("Refusal", bound=DomainError)


def refusal(kind: type[Refusal], text: Text, language: Language) -> Refusal:
    """A problem whose ``detail`` is in ``language``, with ``detail_vi`` and ``detail_en``."""
    return kind(text.in_language(language), extra={"detail_vi": text.vi, "detail_en": text.en})


def in_language(error: Refusal, language: Language) -> Refusal:
    """``error`` (raised with ``detail_vi``/``detail_en``, its ``detail`` in English where the
    language was not known) with its ``detail`` in ``language``."""
    error.detail = error.extra.get(f"detail_{language}", error.detail)
    return error
