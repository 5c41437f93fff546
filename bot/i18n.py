"""Languages: choosing one, the gettext catalogs, and Babel formatting of hours, dates, distances.

The catalogs are the `.po` files under bot/locales; they are compiled in memory when the bot
starts, so there is no build step and no `.mo` file to forget. Message ids are English; a
language without a translation for a message falls back to German, then to the English id.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_time, get_day_names
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.units import format_unit

from .directory import LANGUAGES, WEEKDAYS

LOCALE_DIR = Path(__file__).resolve().parent / "locales"
DEFAULT_LANGUAGE = "de"
SOURCE_LANGUAGE = "en"
RTL = frozenset({"ar", "fa"})
# Telegram reports IETF tags; some clients send codes we can map onto a language we support.
_ALIASES = {"kmr": "ku", "ua": "uk", "iw": "he", "nb": "no"}

# Unicode bidi controls: an isolate keeps a Latin address or phone number intact inside
# right-to-left text; the mark makes a line that starts with an emoji or digit read right to left.
FSI, PDI, RLM = "\u2068", "\u2069", "\u200f"


def N_(message: str) -> str:
    """Mark a message for extraction without translating it yet."""
    return message


def choose_language(code: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Our language for a Telegram `language_code` such as 'tr', 'de-AT' or 'pt-BR'."""
    if not code:
        return default
    base = code.replace("_", "-").split("-")[0].lower()
    base = _ALIASES.get(base, base)
    return base if base in LANGUAGES else default


@cache
def locale(lang: str) -> Locale:
    return Locale.parse(lang)


def language_name(code: str, in_lang: str) -> str:
    """'tr' as a resident reading `in_lang` knows it: 'Türkisch', 'Turkish', 'Türkçe'."""
    try:
        name = locale(in_lang).languages.get(code) or Locale.parse(code).get_display_name(code)
    except (ValueError, LookupError):
        return code
    return (name or code)[:1].upper() + (name or code)[1:]


def own_name(code: str) -> str:
    """A language's name in itself, for the language picker."""
    return language_name(code, code)


# Letters only Persian writes (Arabic keyboards type ي ك, Persian ones ی ک); letters only
# Ukrainian, only Russian, and the Bulgarian vowel ъ.
_PERSIAN = set("پچژگکی")
_UKRAINIAN, _RUSSIAN = set("іїєґІЇЄҐ"), set("ыэёЫЭЁ")
_SCRIPT_OF = {"ar": "arabic", "fa": "arabic", "uk": "cyrillic", "ru": "cyrillic", "bg": "cyrillic"}


def _script(char: str) -> str | None:
    if "\u0600" <= char <= "\u06ff" or "\ufb50" <= char <= "\ufeff":
        return "arabic"
    if "\u0400" <= char <= "\u04ff":
        return "cyrillic"
    return "latin" if char.isalpha() and char.isascii() else None


def script_language(text: str, lang: str) -> str | None:
    """The language to offer when a question is clearly written in another script than the
    resident's language (Arabic script under an English Telegram), else None. Latin letters
    are never read as a change: Arabic and Ukrainian are often typed in Latin letters."""
    scripts = [s for s in map(_script, text) if s is not None]
    if len(scripts) < 4:
        return None
    main = max(set(scripts), key=scripts.count)
    if main == "latin" or scripts.count(main) < 0.8 * len(scripts):
        return None
    if main == _SCRIPT_OF.get(lang, "latin"):
        return None
    letters = set(text)
    if main == "arabic":
        return "fa" if letters & _PERSIAN else "ar"
    if letters & _UKRAINIAN:
        return "uk"
    if letters & _RUSSIAN:
        return "ru"
    return "bg" if "ъ" in letters else "ru"


@cache
def _mo_bytes(locale_dir: Path, code: str) -> bytes:
    """Compile one .po file in memory."""
    with (locale_dir / code / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalog = read_po(fh)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


class Catalogs:
    """All compiled catalogs, with the lang -> German -> English-id fallback wired in."""

    def __init__(self, locale_dir: Path = LOCALE_DIR) -> None:
        found = locale_dir.glob("*/LC_MESSAGES/messages.po")
        self.available = frozenset(po.parent.parent.name for po in found)
        self._translations: dict[str, gettext.NullTranslations] = {}
        for lang in LANGUAGES:
            chain = gettext.NullTranslations()
            # Message ids are English, so English ends at the ids; every other language
            # falls back to German (the bot's default) before that.
            order = (lang,) if lang == SOURCE_LANGUAGE else (DEFAULT_LANGUAGE, lang)
            for code in dict.fromkeys(order):
                if code in self.available:
                    layer = gettext.GNUTranslations(io.BytesIO(_mo_bytes(locale_dir, code)))
                    layer.add_fallback(chain)
                    chain = layer
            self._translations[lang] = chain

    def translator(self, lang: str) -> Translator:
        return Translator(lang, self._translations.get(lang, gettext.NullTranslations()))


class Translator:
    """`t("Hello {name}", name=...)`: translate, then fill in the (already escaped) values."""

    def __init__(self, lang: str, translations: gettext.NullTranslations) -> None:
        self.lang = lang
        self._translations = translations

    def __call__(self, message: str, **values: object) -> str:
        text = self._translations.gettext(message)
        return text.format(**values) if values else text

    @property
    def rtl(self) -> bool:
        return self.lang in RTL

    def ltr(self, text: str) -> str:
        """Keep a left-to-right fragment (address, phone, URL) intact in RTL text."""
        return f"{FSI}{text}{PDI}" if self.rtl else text

    def line(self, text: str) -> str:
        return f"{RLM}{text}" if self.rtl else text


# ---- Babel formatting -------------------------------------------------------------------

ALL_DAY = (time(0, 0), time(23, 59))
Spans = Sequence[tuple[time, time]]


def _span_text(span: tuple[time, time], lang: str) -> str:
    opens, closes = span
    start = format_time(opens, format="short", locale=locale(lang))
    end = "24:00" if closes == time(23, 59) else format_time(closes, "short", locale=locale(lang))
    return f"{start}–{end}"


def spans_text(spans: Spans, lang: str) -> str:
    return ", ".join(_span_text(span, lang) for span in spans)


def hours_lines(hours: Mapping[str, Spans], lang: str) -> list[str]:
    """Opening hours grouped by runs of days with the same times: 'Mo.–Di. 08:00–17:00'."""
    if not hours:
        return []
    days = get_day_names("abbreviated", locale=locale(lang))
    rows: list[tuple[int, int, tuple[tuple[time, time], ...]]] = []
    for index, key in enumerate(WEEKDAYS):
        spans = tuple(hours.get(key, ()))
        if not spans:
            continue
        if rows and rows[-1][1] == index - 1 and rows[-1][2] == spans:
            rows[-1] = (rows[-1][0], index, spans)
        else:
            rows.append((index, index, spans))
    lines = []
    for first, last, spans in rows:
        label = days[first] if first == last else f"{days[first]}–{days[last]}"
        lines.append(f"{label} {spans_text(spans, lang)}")
    return lines


def always_open(hours: Mapping[str, Spans]) -> bool:
    return bool(hours) and all(tuple(hours.get(day, ())) == (ALL_DAY,) for day in WEEKDAYS)


def is_open(hours: Mapping[str, Spans], now: datetime) -> bool | None:
    """True/False when the hours are known, None when they are not."""
    if not hours:
        return None
    today = hours.get(WEEKDAYS[now.weekday()], ())
    moment = now.time()
    return any(
        opens <= moment < closes or (closes == time(23, 59) and moment >= opens)
        for opens, closes in today
    )


def distance_text(meters: float, lang: str) -> str:
    if meters < 1000:
        rounded = max(10, round(meters / 10.0) * 10)
        return format_unit(rounded, "length-meter", length="short", locale=locale(lang))
    km = format_decimal(round(meters / 1000, 1), format="#,##0.0", locale=locale(lang))
    return format_unit(km, "length-kilometer", length="short", locale=locale(lang))


def date_text(day: date, lang: str) -> str:
    return format_date(day, format="medium", locale=locale(lang))
