"""The directory of services: its model, the YAML loader and the validator behind `lotse check`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from babel import Locale
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from .bulkread import BulkReader
from .examples import NO_DANGER
from .gcpause import without_gc
from .textnorm import raw_tokens
from .vocabulary import Vocabulary, load_vocabulary, phrase_lists
from .yamlread import read_yaml

# The languages residents write in; every multilingual field is keyed by these codes.
LANGUAGES: tuple[str, ...] = ("de", "tr", "ar", "uk", "ru", "ro", "bg", "pl", "en", "fa", "ku")
FALLBACK = ("de", "en")
WEEKDAYS: tuple[str, ...] = ("mo", "tu", "we", "th", "fr", "sa", "su")
AREAS = ("altenhagen-eckesey-sued", "zentrum-remberg", "hagen", "nrw", "germany")

# Ids travel inside callback data (64 bytes at most), so they stay short and plain.
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
_PHONE_CHARS = re.compile(r"^\+?[0-9][0-9 ()/-]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_URL = re.compile(r"^https?://[^\s]+$")
_KNOWN_LANGUAGE_CODES = frozenset(Locale("en").languages)


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise ValueError(f"{value!r} is not an id (lowercase letters, digits, '-', at most 40)")
    return value


def _check_lang_keys(value: Mapping[str, Any]) -> Mapping[str, Any]:
    unknown = sorted(set(value) - set(LANGUAGES))
    if unknown:
        raise ValueError(f"unknown language code(s) {unknown}; use one of {list(LANGUAGES)}")
    return value


def _check_single_words(value: Mapping[str, list[str]]) -> Mapping[str, list[str]]:
    for words in value.values():
        for word in words:
            if len(raw_tokens(word)) != 1:  # as the matcher reads them
                raise ValueError(f"{word!r} is not one word (a trailing * for any ending)")
    return value


def parse_span(value: str) -> tuple[time, time]:
    match = _SPAN.match(str(value).strip())
    if not match:
        raise ValueError(f"bad time {value!r} (expected HH:MM-HH:MM, e.g. 08:00-12:30)")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h2 == 24 and m2 != 0:
        raise ValueError(f"bad time {value!r}: 24:MM only as 24:00")
    opens = time(h1, m1)
    closes = time(23, 59) if h2 == 24 else time(h2, m2)
    if closes <= opens:
        raise ValueError(f"bad time {value!r}: closes before it opens")
    return opens, closes


def _check_phone(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    if not _PHONE_CHARS.match(value) or not 3 <= len(digits) <= 15:
        raise ValueError(f"malformed phone number {value!r}")
    return value


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"malformed e-mail address {value!r}")
    return value


def _check_url(value: str) -> str:
    if not _URL.match(value):
        raise ValueError(f"{value!r} is not an http(s) address")
    return value


def _check_spoken(value: str) -> str:
    if value not in _KNOWN_LANGUAGE_CODES:
        raise ValueError(f"{value!r} is not a language code")
    return value


def _needs_german(value: Mapping[str, str]) -> Mapping[str, str]:
    if not str(value.get("de", "")).strip():
        raise ValueError("a German name ('de') is required")
    return value


Id = Annotated[str, AfterValidator(_check_id)]
LangText = Annotated[dict[str, str], AfterValidator(_check_lang_keys)]
NamedText = Annotated[
    dict[str, str], AfterValidator(_check_lang_keys), AfterValidator(_needs_german)
]
Span = Annotated[tuple[time, time], BeforeValidator(parse_span)]
Phone = Annotated[str, AfterValidator(_check_phone)]
Url = Annotated[str, AfterValidator(_check_url)]
# "ph": hours on public holidays in NRW; without it a service is closed on them (unless it is
# open day and night, like the emergency lines).
Weekday = Literal["mo", "tu", "we", "th", "fr", "sa", "su", "ph"]
Access = Literal["walk-in", "call-first", "appointment"]
_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _check_partial_date(value: object) -> str:
    text = str(value)
    if not _PARTIAL_DATE.match(text):
        raise ValueError(f"{text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    return text


def _check_languages(value: list[str]) -> list[str]:
    _check_lang_keys(dict.fromkeys(value))
    return value


PartialDate = Annotated[str, BeforeValidator(_check_partial_date)]
Area = Literal["altenhagen-eckesey-sued", "zentrum-remberg", "hagen", "nrw", "germany"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Address(_Model):
    street: str | None = None
    postcode: Annotated[str, Field(pattern=r"^\d{5}$")] | None = None
    city: str = "Hagen"
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None
    geo_source: Url | None = None  # where the coordinates come from (a page, or OSM Nominatim)
    note: LangText = Field(default_factory=dict)

    @model_validator(mode="after")
    def _coordinates_in_pairs(self) -> Address:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("lat and lon go together")
        if self.lat is not None and self.geo_source is None:
            raise ValueError("coordinates need a geo_source (the page or service they come from)")
        return self

    @property
    def has_pin(self) -> bool:
        return self.lat is not None and self.lon is not None

    def one_line(self) -> str:
        place = " ".join(part for part in (self.postcode, self.city) if part)
        return ", ".join(part for part in (self.street, place) if part)


class Closure(_Model):
    """A temporary closure: holidays, renovation, a move."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    note: LangText = Field(default_factory=dict)

    @model_validator(mode="after")
    def _in_order(self) -> Closure:
        if self.end < self.start:
            raise ValueError("'to' lies before 'from'")
        return self


class Service(_Model):
    id: Id
    name: NamedText
    description: LangText = Field(default_factory=dict)
    # Names and brands residents type ("Tafel", "AKH"); what the service is for comes from
    # its needs, whose phrases are shared by every service that serves them.
    keywords: Annotated[dict[str, list[str]], AfterValidator(_check_lang_keys)] = Field(
        default_factory=dict
    )
    needs: list[str] = Field(default_factory=list)
    categories: Annotated[list[str], Field(min_length=1)]
    organisation: str | None = None
    address: Address | None = None
    phone: list[Phone] = Field(default_factory=list)
    email: Annotated[str, AfterValidator(_check_email)] | None = None
    url: Url | None = None
    hours: dict[Weekday, list[Span]] = Field(default_factory=dict)
    hours_note: LangText = Field(default_factory=dict)
    closed: list[Closure] = Field(default_factory=list)
    # How to get in, after the 211 style guide: walk in, call first, or by appointment.
    access: Access | None = None
    booking_url: Url | None = None
    bring: LangText = {}  # what to bring
    eligibility: LangText = {}  # who can come
    # Open only to one group (men, young people, refugees): among equally good answers, a
    # service open to everyone comes first.
    restricted: bool = False
    # Only for children (the children's emergency practice): it comes first only when the
    # message speaks of a child; otherwise the next place for everyone goes before it.
    children_only: bool = False
    languages: list[Annotated[str, AfterValidator(_check_spoken)]] = Field(default_factory=list)
    languages_note: LangText = Field(default_factory=dict)  # e.g. "Russisch donnerstags"
    stop: str | None = None  # the nearest bus stop, as the timetable names it
    accessibility: LangText = Field(default_factory=dict)
    cost: LangText = Field(default_factory=dict)
    areas: list[Area] = ["hagen"]
    urgent: bool = False
    source: Url
    sources: list[Url] = []  # further pages single facts come from
    source_date: PartialDate | None = None  # the date the source itself states, if any
    verified: date
    # Languages whose texts here no native speaker has reviewed yet (machine or team drafts).
    unreviewed: Annotated[list[str], AfterValidator(_check_languages)] = Field(default_factory=list)

    @property
    def reachable(self) -> bool:
        """Whether a resident finds a way to make contact on the card."""
        address = self.address is not None and bool(self.address.street)
        return bool(address or self.phone or self.email or self.url or self.booking_url)

    def closure_on(self, day: date) -> Closure | None:
        return next((c for c in self.closed if c.start <= day <= c.end), None)


def short_number(service: Service) -> int:
    """112 or 110 (the numbers everyone can call) for the emergency lines themselves: they come
    first among the urgent ones, 112 before 110; 0 for everything else."""
    for phone in service.phone:
        digits = "".join(ch for ch in phone if ch.isdigit())
        if len(digits) == 3:
            return int(digits)
    return 0


def _name_key(service: Service) -> str:
    return pick(service.name, "de").casefold()


class Category(_Model):
    id: Id
    parent: str | None = None
    icon: str = ""
    label: NamedText


class CannedReply(_Model):
    """replies.yaml: a coordinator's ready answer, sent in the resident's language."""

    id: Id
    text: NamedText


class Phrases(_Model):
    """language.yaml: greetings and thanks (answered with help), stopwords (ignored in matching)."""

    greetings: Annotated[dict[str, list[str]], AfterValidator(_check_lang_keys)] = {}
    thanks: Annotated[dict[str, list[str]], AfterValidator(_check_lang_keys)] = {}
    stopwords: Annotated[dict[str, list[str]], AfterValidator(_check_lang_keys)] = {}
    # Words that say "not" as words of their own. A phrase with one ("will nicht in die
    # Schule") meets only a question with one: its other words alone mean something else.
    negations: Annotated[dict[str, list[str]], AfterValidator(_check_lang_keys)] = {}
    # The city's own name, in every script and inflection: it is in countless questions and
    # tells no need apart ("new in Hagen" must not meet "free food in Hagen").
    places: list[str] = []
    # "They said it's not them": an office named next to one of these sent the resident away,
    # so it is not the answer. Matched as written, word after word.
    sent_away: Annotated[dict[str, list[str]], AfterValidator(_check_lang_keys)] = {}
    # "Is the Jobcenter allowed to…": a question about an office's decision is one for advice,
    # not for that office. Matched as written, word after word.
    contest: Annotated[dict[str, list[str]], AfterValidator(_check_lang_keys)] = {}
    # "Is there another place?": the place the message names did not help (a waiting list, no
    # boots in that size), so it is not the answer. Matched as written, word after word.
    elsewhere: Annotated[dict[str, list[str]], AfterValidator(_check_lang_keys)] = {}
    # "Who do I tell?": a child in danger asked about this way gets the office responsible
    # before the police (the banner still says 110). Matched as written, word after word.
    report: Annotated[dict[str, list[str]], AfterValidator(_check_lang_keys)] = {}
    # Words for a child (a trailing * stands for any ending): a place only for children comes
    # first only when the message speaks of one ("39 fever, the doctor is closed" is an adult's).
    children: Annotated[
        dict[str, list[str]],
        AfterValidator(_check_lang_keys),
        AfterValidator(_check_single_words),
    ] = {}


def pick(texts: Mapping[str, str], lang: str) -> str:
    """The text in `lang`, else German, else English, else any; '' if there is none."""
    for code in (lang, *FALLBACK):
        if texts.get(code):
            return texts[code]
    return next(iter(texts.values()), "")


@dataclass(frozen=True)
class Problem:
    file: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}"


class DirectoryError(Exception):
    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class Directory:
    services: tuple[Service, ...]
    categories: tuple[Category, ...]
    phrases: Phrases = field(default_factory=Phrases)
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    replies: tuple[CannedReply, ...] = ()
    events: tuple[Any, ...] = ()  # events.EventSeries (that module builds on this one)
    # Questions residents asked and the place that answered: service id -> lang -> questions.
    examples: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    # Sentences residents wrote and the danger signal each raises, or "none" for everyday talk.
    danger_examples: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    def reply(self, reply_id: str) -> CannedReply | None:
        return next((r for r in self.replies if r.id == reply_id), None)

    @cached_property
    def _services_by_id(self) -> dict[str, Service]:
        return {s.id: s for s in self.services}

    @cached_property
    def _categories_by_id(self) -> dict[str, Category]:
        return {c.id: c for c in self.categories}

    def service(self, service_id: str) -> Service | None:
        return self._services_by_id.get(service_id)

    def category(self, category_id: str) -> Category | None:
        return self._categories_by_id.get(category_id)

    def top_categories(self) -> list[Category]:
        return [c for c in self.categories if c.parent is None]

    def children(self, category_id: str) -> list[Category]:
        return [c for c in self.categories if c.parent == category_id]

    def services_in(self, category_id: str) -> list[Service]:
        """Services in the category or any of its subcategories, emergencies first."""
        wanted = {category_id, *(c.id for c in self.children(category_id))}
        found = [s for s in self.services if wanted.intersection(s.categories)]
        return sorted(found, key=lambda s: (not s.urgent, -short_number(s), _name_key(s)))


STALE_AFTER_DAYS = 365


def coverage(directory: Directory) -> dict[str, tuple[int, int, int]]:
    """Per language: how many services have a name, a description and keywords in it."""
    return {
        lang: (
            sum(1 for s in directory.services if s.name.get(lang)),
            sum(1 for s in directory.services if s.description.get(lang)),
            sum(1 for s in directory.services if s.keywords.get(lang)),
        )
        for lang in LANGUAGES
    }


def stale(directory: Directory, today: date, days: int = STALE_AFTER_DAYS) -> list[Service]:
    """Entries not checked against their source for longer than `days`."""
    return [s for s in directory.services if (today - s.verified).days > days]


def service_files(root: Path) -> list[Path]:
    """services/*.yaml and *.yml: both endings are common, and a file ignored for its ending
    would silently drop a service."""
    folder = root / "services"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def ignored_files(root: Path) -> list[Path]:
    """Files in services/ that are not read (a .txt, a backup copy): said, never silent."""
    folder = root / "services"
    if not folder.is_dir():
        return []
    read = set(service_files(root))
    return sorted(p for p in folder.iterdir() if p.is_file() and p not in read)


TRANSLATED_FIELDS = ("name", "description", "hours_note", "cost", "bring", "eligibility")


def missing_translations(service: Service) -> dict[str, list[str]]:
    """Per multilingual field that has a German text: the languages it lacks."""
    found = {}
    for name in TRANSLATED_FIELDS:
        texts = getattr(service, name)
        if texts.get("de"):
            missing = [lang for lang in LANGUAGES if not texts.get(lang)]
            if missing:
                found[name] = missing
    return found


def _field_path(loc: Sequence[str | int]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "-"


def _message(error: Mapping[str, Any]) -> str:
    text = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required field is missing"
    return text


_UNREADABLE = object()


def _read_yaml(path: Path, root: Path, problems: list[Problem]) -> Any:
    """The parsed file, or _UNREADABLE after reporting why it could not be parsed."""
    rel = str(path.relative_to(root))
    try:
        return read_yaml(path)
    except yaml.MarkedYAMLError as exc:
        # Where the editor's cursor must go: line and column, as text editors count them.
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "-"
        problems.append(Problem(rel, where, f"YAML syntax: {exc.problem or exc.context}"))
        return _UNREADABLE
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        problems.append(Problem(rel, "-", f"cannot read YAML: {exc}".splitlines()[0]))
        return _UNREADABLE


def _validate(model: type[_Model], data: Any, file: str, prefix: str, problems: list[Problem]):
    if data is _UNREADABLE:
        return None
    if not isinstance(data, dict):
        problems.append(Problem(file, prefix or "-", "expected a mapping of fields"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            path = _field_path([*([prefix] if prefix else []), *error["loc"]])
            problems.append(Problem(file, path, _message(error)))
        return None


@without_gc
def check_directory(root: Path) -> tuple[Directory | None, list[Problem]]:
    """Read and validate a directory; every problem is reported, not just the first."""
    problems: list[Problem] = []
    if not root.is_dir():
        return None, [Problem(str(root), "-", "no such directory")]

    files = service_files(root)
    reader = BulkReader(files)  # a large directory's service files: partly in parallel

    categories: list[Category] = []
    cat_file = root / "categories.yaml"
    raw = _read_yaml(cat_file, root, problems) if cat_file.is_file() else None
    if not cat_file.is_file():
        problems.append(Problem("categories.yaml", "-", "file is missing"))
    elif raw is _UNREADABLE:
        pass
    elif not isinstance(raw, list):
        problems.append(Problem("categories.yaml", "-", "expected a list of categories"))
    else:
        for i, item in enumerate(raw):
            cat = _validate(Category, item, "categories.yaml", f"[{i}]", problems)
            if cat is not None:
                categories.append(cat)
    cat_ids = [c.id for c in categories]
    for i, cat in enumerate(categories):
        if cat.id in cat_ids[:i]:
            problems.append(Problem("categories.yaml", cat.id, "duplicate category id"))
        if cat.parent is not None and cat.parent not in cat_ids:
            problems.append(Problem("categories.yaml", f"{cat.id}.parent", "unknown category"))

    phrases = Phrases()
    phrase_file = root / "language.yaml"
    if phrase_file.is_file():
        raw_phrases = _read_yaml(phrase_file, root, problems)
        phrases = _validate(Phrases, raw_phrases, "language.yaml", "", problems) or phrases

    replies: list[CannedReply] = []
    reply_file = root / "replies.yaml"
    raw_replies = _read_yaml(reply_file, root, problems) if reply_file.is_file() else []
    if not isinstance(raw_replies, list):
        problems.append(Problem("replies.yaml", "-", "expected a list of replies"))
        raw_replies = []
    for i, item in enumerate(raw_replies):
        canned = _validate(CannedReply, item, "replies.yaml", f"[{i}]", problems)
        if canned is not None and any(r.id == canned.id for r in replies):
            problems.append(Problem("replies.yaml", canned.id, "duplicate reply id"))
        elif canned is not None:
            replies.append(canned)

    # Read while the second process (if any) parses its share; its problems are listed after
    # the services', as they always were.
    vocabulary_problems: list[Problem] = []
    vocabulary = load_vocabulary(
        root, LANGUAGES, set(cat_ids), lambda *where: vocabulary_problems.append(Problem(*where))
    )

    services: list[Service] = []
    seen: dict[str, str] = {}
    if not files:
        problems.append(Problem("services/", "-", "no service files (services/*.yaml)"))
    for path, raw in reader.documents(lambda path: _read_yaml(path, root, problems)):
        rel = str(path.relative_to(root))
        service = _validate(Service, raw, rel, "", problems)
        if service is None:
            continue
        if service.id in seen:
            problems.append(
                Problem(rel, "id", f"duplicate id {service.id!r} (also in {seen[service.id]})")
            )
            continue
        seen[service.id] = rel
        for i, cat in enumerate(service.categories):
            if cat not in cat_ids:
                problems.append(Problem(rel, f"categories[{i}]", f"unknown category {cat!r}"))
        services.append(service)

    problems.extend(vocabulary_problems)
    need_ids = {n.id for n in vocabulary.needs}
    for service in services:
        for i, need in enumerate(service.needs):
            if need not in need_ids:
                rel = seen[service.id]
                problems.append(Problem(rel, f"needs[{i}]", f"unknown need {need!r}"))
    for signal_id, signal in vocabulary.signals.items():
        for i, line in enumerate(signal.lines):
            if line not in seen:
                problems.append(
                    Problem("danger.yaml", f"{signal_id}.lines[{i}]", "unknown service")
                )

    events = _load_events(root, set(seen), problems)

    def report(*where: str) -> None:
        problems.append(Problem(*where))

    examples = phrase_lists(root / "examples", root, LANGUAGES, set(seen), "service", report)
    danger_examples = phrase_lists(
        root / "danger" / "examples",
        root,
        LANGUAGES,
        {*vocabulary.signals, NO_DANGER},
        "signal",
        report,
    )
    if problems:
        return None, problems
    directory = Directory(
        tuple(services),
        tuple(categories),
        phrases,
        vocabulary,
        tuple(replies),
        tuple(events),
        examples,
        danger_examples,
    )
    return directory, []


def _load_events(root: Path, service_ids: set[str], problems: list[Problem]) -> list[Any]:
    """knowledge/events/*.yaml: validated like services; a place must be a known entry."""
    from .events import EventSeries  # events.py builds on this module's types

    folder = root / "events"
    files = sorted(p for p in folder.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))
    found: list[Any] = []
    seen: set[str] = set()
    for path in files if folder.is_dir() else []:
        rel = str(path.relative_to(root))
        series = _validate(EventSeries, _read_yaml(path, root, problems), rel, "", problems)
        if series is None:
            continue
        if series.id in seen:
            problems.append(Problem(rel, "id", f"duplicate event id {series.id!r}"))
            continue
        seen.add(series.id)
        if series.place.service and series.place.service not in service_ids:
            problems.append(
                Problem(rel, "place.service", f"unknown service {series.place.service!r}")
            )
            continue
        found.append(series)
    return found


def load_directory(root: Path) -> Directory:
    directory, problems = check_directory(root)
    if directory is None:
        raise DirectoryError(problems)
    return directory
