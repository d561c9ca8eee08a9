"""Cell parsers: one cell of a ledger (text from CSV; text, number, date or boolean from XLSX)
into a canonical value, or a :class:`CellError` that says what was wrong and what is accepted.

A blank cell never reaches a parser: the reader turns it into "unknown" (or the column's
``if_blank`` value) first. Parsers are built once per column (:func:`make_parser`) with the
column's options, so a row costs a few function calls.

What is accepted, and why:

- **Moments**: ``dd/MM/yyyy``, ``d/M/yyyy``, with ``-`` or ``.`` too, optionally followed by
  ``HH:mm`` or ``HH:mm:ss`` (``08:30``, ``8h30``); the time first (``08:30 05/03/2024``, also
  ``08:30 ngày 05/03/2024`` as slips write it); ISO ``yyyy-MM-dd[ HH:mm[:ss]]`` (system exports);
  spreadsheet date cells; and Excel serial numbers (1900 date system, the fraction is the time of
  day), as numbers or as digits. Never ``MM/dd``: Vietnamese dates are day first, and
  ``05/03/2024`` is 5 March. A spreadsheet date cell at exactly 00:00:00 is a date without a
  time, since that is how a date-only cell reads back. Dates must fall in 2000–2100.
- **Lists of moments** (apology slips, new return dates): moments separated by ``;``, ``|`` or
  line breaks, oldest first as written.
- **Counts**: a whole number, optionally followed by a word (``3 tệp``).
- **Flags**: ``Có/Không``, ``x``, ``Đã/Chưa``, ``Yes/No``, ``1/0``, ``TRUE/FALSE``, a
  spreadsheet boolean (``flag``); any text at all, such as a file name (``flag_nonempty``); a
  count above zero (``flag_positive_count``). A layout may add words.
- **Money**: whole VND. ``.``, ``,`` and spaces are thousands separators (``1.500.000``,
  ``1,500,000``), a trailing ``,00``/``.00`` and a currency word (``đ``, ``VNĐ``, ``đồng``) are
  dropped, and ``Miễn phí``/``Không`` mean 0. A fraction of a dong (``1,5``) is refused.
- **Channel and status**: words of the one-stop system, matched with case, diacritics and spacing
  ignored, then by key phrase (``… trực tuyến …`` is online). A layout may add words.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any, Final

from server.core.timeutil import EARLIEST_DATE, LATEST_DATE
from server.dossiers.model import Channel, DossierStatus, FieldKind, Moment
from server.dossiers.texts import Text, quoted_vi

Cell = str | int | float | bool | datetime | date | None
Parser = Callable[[Any], Any]


class CellError(ValueError):
    """A cell that cannot be read; ``text`` says what was found and what is accepted, in
    Vietnamese and English (``str()`` is the English)."""

    def __init__(self, text: Text) -> None:
        super().__init__(text.en)
        self.text = text


# --- tolerant matching --------------------------------------------------------------------------

_NOT_WORD = re.compile(r"[^0-9a-z]+")


@functools.lru_cache(maxsize=8192)
def fold(text: str) -> str:
    """Text for tolerant matching: no diacritics (đ too), lower case, words separated by single
    spaces, punctuation dropped. ``"Ngày  NHẬN hồ sơ:"`` → ``"ngay nhan ho so"``."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _NOT_WORD.sub(" ", plain.casefold()).strip()


def clean_text(value: Cell) -> str:
    """A cell as text: Unicode NFC (a cp1258 or macOS file decomposes its diacritics), outer
    whitespace dropped, inner runs of whitespace made one space."""
    if type(value) is not str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a code typed as a number reads "123", not "123.0"
        value = str(value)
    text = value.strip()
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    if "  " in text or "\n" in text or "\t" in text or "\r" in text or "\xa0" in text:
        text = " ".join(text.split())
    return text


# --- moments ------------------------------------------------------------------------------------

_DAY_FIRST = re.compile(
    r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})"
    r"(?:[ ,T]+(?P<H>\d{1,2})[:hH](?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
_TIME_FIRST = re.compile(
    r"(?P<H>\d{1,2})[:hH](?P<M>\d{2})(?::(?P<S>\d{2}))?[ ,]+(?:ng[aà]y\s+)?"
    r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})",
    re.IGNORECASE,
)
_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[ T](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_MOMENT_FORMS = Text(
    vi="dd/MM/yyyy, dd/MM/yyyy HH:mm, yyyy-MM-dd hoặc ngày dạng số của Excel",
    en="dd/MM/yyyy, dd/MM/yyyy HH:mm, yyyy-MM-dd or an Excel date serial",
)
_YEARS = f"{EARLIEST_DATE.year}–{LATEST_DATE.year}"
_LIST_SEPARATORS = re.compile(r"[;|\n]+")

_EXCEL_EPOCH: Final = datetime(1899, 12, 30)  # the 1900 system, past its 1900-02-29 bug
_EARLIEST_SERIAL: Final = (datetime.combine(EARLIEST_DATE, time()) - _EXCEL_EPOCH).days
_LATEST_SERIAL: Final = (datetime.combine(LATEST_DATE, time()) - _EXCEL_EPOCH).days + 1


def _in_range(day: date, shown: object, *, typed: bool = False) -> None:
    # ``shown`` is formatted only when the check fails: this runs for every date cell. Text a
    # person typed (``typed``) is quoted, a spreadsheet's date cell is not.
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        text = shown.isoformat(sep=" ") if isinstance(shown, datetime) else str(shown)
        raise CellError(
            Text(
                vi=f"{quoted_vi(text) if typed else text} nằm ngoài khoảng các năm {_YEARS}",
                en=f"{text!r} is outside the years {_YEARS}"
                if typed
                else f"{text} is outside the years {_YEARS}",
            )
        )


def _from_serial(serial: float, zone: tzinfo, shown: object) -> Moment:
    if not (math.isfinite(serial) and _EARLIEST_SERIAL <= serial < _LATEST_SERIAL):
        raise CellError(
            Text(
                vi=f"{shown!s} không phải là ngày: đọc như ngày dạng số của Excel thì nằm ngoài "
                f"khoảng các năm {_YEARS}; hãy ghi theo dạng {_MOMENT_FORMS.vi}",
                en=f"{shown!s} is not a date: as an Excel serial it falls outside {_YEARS}; "
                f"write {_MOMENT_FORMS.en}",
            )
        )
    whole = int(serial)
    seconds = round((serial - whole) * 86_400)
    if seconds == 0:
        return Moment((_EXCEL_EPOCH + timedelta(days=whole)).date())
    local = _EXCEL_EPOCH + timedelta(days=whole, seconds=seconds)
    return Moment.of(local, zone)


def _from_match(match: re.Match[str], zone: tzinfo, shown: str) -> Moment:
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise CellError(
            Text(
                vi=f"{quoted_vi(shown)} không phải là ngày có thật (ghi ngày trước tháng: "
                "dd/MM/yyyy)",
                en=f"{shown!r} is not a real date (day first: dd/MM/yyyy)",
            )
        ) from None
    _in_range(day, shown, typed=True)
    if match["H"] is None:
        return Moment(day)
    try:
        clock = time(int(match["H"]), int(match["M"]), int(match["S"] or 0))
    except ValueError:
        raise CellError(
            Text(
                vi=f"{quoted_vi(shown)} có giờ, phút không hợp lệ",
                en=f"{shown!r} has an impossible time of day",
            )
        ) from None
    return Moment(day, datetime.combine(day, clock, tzinfo=zone))


def parse_moment(value: Cell, zone: tzinfo) -> Moment:
    if isinstance(value, bool):
        raise CellError(_not_a_date(str(value), str(value)))
    if isinstance(value, datetime):
        _in_range(value.date(), value)
        if value.tzinfo is None and value.time() == time():
            return Moment(value.date())
        return Moment.of(value, zone)
    if isinstance(value, date):
        _in_range(value, value)
        return Moment(value)
    if isinstance(value, int | float):
        return _from_serial(float(value), zone, value)
    return _moment_from_text(clean_text(value), zone)


# A quarter's ledger repeats its dates (and many of its times) thousands of times; moments are
# immutable, so one parse per distinct text serves them all.
@functools.lru_cache(maxsize=65_536)
def _moment_from_text(text: str, zone: tzinfo) -> Moment:
    for pattern in (_DAY_FIRST, _TIME_FIRST, _ISO):
        match = pattern.fullmatch(text)
        if match:
            return _from_match(match, zone, text)
    if _SERIAL.fullmatch(text):
        return _from_serial(float(text), zone, repr(text))
    raise CellError(_not_a_date(quoted_vi(text), repr(text)))


def _not_a_date(shown_vi: str, shown_en: str) -> Text:
    return Text(
        vi=f"{shown_vi} không phải là ngày; hãy ghi theo dạng {_MOMENT_FORMS.vi}",
        en=f"{shown_en} is not a date; write {_MOMENT_FORMS.en}",
    )


def parse_moments(value: Cell, zone: tzinfo) -> tuple[Moment, ...]:
    if not isinstance(value, str):
        return (parse_moment(value, zone),)
    parts = [part for part in _LIST_SEPARATORS.split(value) if part.strip()]
    return tuple(parse_moment(part, zone) for part in parts)


# --- numbers ------------------------------------------------------------------------------------

_COUNT = re.compile(r"(\d{1,7})(?:\s*[^\W\d_][^\d]*)?")


def parse_count(value: Cell) -> int:
    if isinstance(value, bool):
        raise CellError(_not_a_count(str(value), str(value)))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        text = clean_text(value)
        match = _COUNT.fullmatch(text)
        if not match:
            raise CellError(_not_a_count(quoted_vi(text), repr(text)))
        number = int(match[1])
    if number < 0:
        raise CellError(
            Text(
                vi=f"{number} là số âm; số lượng phải từ 0 trở lên",
                en=f"{number} is negative; a count is 0 or more",
            )
        )
    return number


def _not_a_count(shown_vi: str, shown_en: str) -> Text:
    return Text(
        vi=f"{shown_vi} không phải là số lượng; hãy ghi số nguyên, ví dụ 3",
        en=f"{shown_en} is not a count; write a whole number such as 3",
    )


_MONEY_WORDS = re.compile(r"\s*(?:vn[dđ]|đồng|dong|đ|d)\.?\s*$", re.IGNORECASE)
_GROUPED = re.compile(r"\d{1,3}(?:([.,\s])\d{3})?(?:\1\d{3})*")
_FREE_WORDS: Final = frozenset({"mien phi", "khong", "khong thu", "0"})


def parse_money(value: Cell) -> int:
    """Whole VND (see the module's notes on separators)."""
    if isinstance(value, bool):
        raise CellError(
            Text(
                vi=f"{value} không phải là số tiền; hãy ghi số tiền bằng đồng, ví dụ 1.500.000",
                en=f"{value} is not an amount; write VND such as 1.500.000",
            )
        )
    if isinstance(value, int):
        number = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise CellError(
                Text(
                    vi=f"{value} có phần lẻ của đồng; hãy ghi số tiền nguyên (đồng)",
                    en=f"{value} has a fraction of a dong; write whole VND",
                )
            )
        number = int(value)
    else:
        text = clean_text(value)
        if fold(text) in _FREE_WORDS:
            return 0
        bare = _MONEY_WORDS.sub("", text)
        bare = re.sub(r"[.,]00$", "", bare) if re.search(r"\d[.,]\d{3}[.,]00$", bare) else bare
        if bare.isdigit():
            number = int(bare)
        elif _GROUPED.fullmatch(bare):
            number = int(re.sub(r"[.,\s]", "", bare))
        else:
            raise CellError(
                Text(
                    vi=f"{quoted_vi(text)} không phải là số tiền bằng đồng; hãy ghi số tiền "
                    "nguyên, ví dụ 1.500.000 hoặc 1500000",
                    en=f"{text!r} is not an amount in VND; write whole dong such as 1.500.000 "
                    "or 1500000",
                )
            )
    if number < 0:
        raise CellError(
            Text(
                vi=f"{number} là số âm; phí, lệ phí phải từ 0 trở lên",
                en=f"{number} is negative; a fee is 0 or more",
            )
        )
    return number


# --- words --------------------------------------------------------------------------------------

TRUE_WORDS: Final = ("có", "x", "đã", "đúng", "yes", "y", "true", "1", "v", "✓", "✔", "đã có")
FALSE_WORDS: Final = ("không", "k", "chưa", "sai", "no", "n", "false", "0", "chưa có")

CHANNEL_WORDS: Final[dict[Channel, tuple[str, ...]]] = {
    Channel.in_person: ("trực tiếp", "nộp trực tiếp", "tại bộ phận một cửa", "in person"),
    Channel.online: ("trực tuyến", "online", "dịch vụ công trực tuyến", "qua mạng", "điện tử"),
    Channel.post: ("bưu chính", "bưu điện", "dịch vụ bưu chính công ích", "post"),
}
# Key phrases tried in order when no whole word matches: "Nộp trực tuyến toàn trình" is online.
_CHANNEL_PHRASES: Final = (
    ("truc tuyen", Channel.online),
    ("dich vu cong", Channel.online),
    ("buu", Channel.post),
    ("truc tiep", Channel.in_person),
)

STATUS_WORDS: Final[dict[DossierStatus, tuple[str, ...]]] = {
    DossierStatus.received: ("mới tiếp nhận", "đã tiếp nhận", "tiếp nhận", "chờ chuyển"),
    DossierStatus.processing: ("đang giải quyết", "đang xử lý", "đang thụ lý", "đã chuyển xử lý"),
    DossierStatus.awaiting_supplement: ("chờ bổ sung", "yêu cầu bổ sung", "bổ sung hồ sơ"),
    DossierStatus.resolved: ("đã giải quyết", "đã có kết quả", "chờ trả kết quả", "hoàn thành"),
    DossierStatus.returned: ("đã trả kết quả", "đã trả", "đã trả hồ sơ"),
    DossierStatus.rejected: ("từ chối", "từ chối tiếp nhận", "không giải quyết", "trả lại"),
    DossierStatus.withdrawn: ("rút hồ sơ", "công dân rút hồ sơ", "đã hủy", "hủy"),
}


def _vocabulary(
    base: Mapping[Any, Iterable[str]], extra: Mapping[str, Iterable[str]] | None
) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for meaning, words in base.items():
        table[fold(str(meaning))] = meaning
        for word in words:
            table[fold(word)] = meaning
    for name, words in (extra or {}).items():
        meaning = next(key for key in base if str(key) == name)
        for word in words:
            table[fold(word)] = meaning
    return table


def _word_parser(
    table: dict[str, Any],
    phrases: tuple[tuple[str, Any], ...],
    what: Text,
) -> Parser:
    shown = ", ".join(sorted({key for key in table if key and not key.isdigit()})[:12])

    @functools.lru_cache(maxsize=1024)
    def parse_word(text: str) -> Any:
        key = fold(text)
        if key in table:
            return table[key]
        for phrase, meaning in phrases:
            if phrase in key:
                return meaning
        raise CellError(
            Text(
                vi=f"{quoted_vi(text)} không phải là {what.vi} được nhận biết; các từ được nhận "
                f"gồm: {shown}",
                en=f"{text!r} is not a known {what.en}; known words include: {shown}",
            )
        )

    def parse(value: Cell) -> Any:
        if isinstance(value, bool):
            return table.get("1" if value else "0", value)
        return parse_word(clean_text(value))

    return parse


def flag_parser(extra: Mapping[str, Iterable[str]] | None = None) -> Parser:
    table = _vocabulary({True: TRUE_WORDS, False: FALSE_WORDS}, extra)
    return _word_parser(
        table,
        (),
        Text(vi="giá trị có/không (Có/Không, x, Đã/Chưa)", en="yes/no word (Có/Không, x, Đã/Chưa)"),
    )


def channel_parser(extra: Mapping[str, Iterable[str]] | None = None) -> Parser:
    return _word_parser(
        _vocabulary(CHANNEL_WORDS, extra),
        _CHANNEL_PHRASES,
        Text(vi="hình thức nộp hồ sơ", en="channel"),
    )


def status_parser(extra: Mapping[str, Iterable[str]] | None = None) -> Parser:
    return _word_parser(
        _vocabulary(STATUS_WORDS, extra), (), Text(vi="trạng thái hồ sơ", en="status")
    )


# --- per-column parsers -------------------------------------------------------------------------


# Which parsers may read each kind of field; the first is the default.
def parse_text(value: Cell) -> str:
    """A text cell (:func:`clean_text`); a NUL character is refused here, with the cell's line and
    column, as PostgreSQL cannot store it (SQLite would), so both engines answer alike."""
    text = clean_text(value)
    if "\x00" in text:
        raise CellError(
            Text(
                vi="ô có ký tự NUL (mã 0), không phải chữ: hãy xuất lại tệp từ hệ thống",
                en="the cell holds a NUL character (code 0), which is not text: export the file again",
            )
        )
    return text


PARSERS_BY_KIND: Final[dict[FieldKind, tuple[str, ...]]] = {
    "text": ("text",),
    "moment": ("moment",),
    "moments": ("moments",),
    "count": ("count",),
    "flag": ("flag", "flag_nonempty", "flag_positive_count"),
    "money": ("money",),
    "channel": ("channel",),
    "status": ("status",),
}


def make_parser(name: str, zone: tzinfo, words: Mapping[str, Iterable[str]] | None) -> Parser:
    """The parser ``name`` for one column, with that column's extra words."""
    if name == "text":
        return parse_text
    if name == "moment":
        return functools.partial(parse_moment, zone=zone)
    if name == "moments":
        return functools.partial(parse_moments, zone=zone)
    if name == "count":
        return parse_count
    if name == "money":
        return parse_money
    if name == "flag":
        return flag_parser(words)
    if name == "flag_nonempty":
        return lambda value: True
    if name == "flag_positive_count":
        return lambda value: parse_count(value) > 0
    if name == "channel":
        return channel_parser(words)
    if name == "status":
        return status_parser(words)
    raise ValueError(f"unknown parser {name!r}")


def word_meanings(kind: FieldKind) -> tuple[str, ...]:
    """The meanings a layout may add words to, for each kind of field that reads words."""
    if kind == "flag":
        return ("True", "False")
    if kind == "channel":
        return tuple(str(channel) for channel in Channel)
    if kind == "status":
        return tuple(str(status) for status in DossierStatus)
    return ()
