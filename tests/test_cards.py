"""Rendering: cards, Babel formatting, escaping, right-to-left text, splitting, callback data."""

from __future__ import annotations

import copy
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import TINY_SERVICES, write_directory

from bot.cards import (
    CALLBACK_LIMIT,
    FEEDBACK,
    PIN,
    callback,
    parse_callback,
    render_card,
    split_html,
)
from bot.directory import load_directory
from bot.i18n import FSI, PDI, RLM, Catalogs, choose_language, distance_text, hours_lines, is_open

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
MONDAY_13 = datetime(2026, 11, 23, 13, 0, tzinfo=BERLIN)


@pytest.fixture(scope="module")
def catalogs():
    return Catalogs()


def test_telegram_language_codes_map_to_our_languages():
    assert choose_language("tr") == "tr"
    assert choose_language("de-AT") == "de"
    assert choose_language("pt-BR") == "de"
    assert choose_language(None) == "de"
    assert choose_language("kmr") == "ku"


def test_opening_hours_are_grouped_and_formatted_by_babel(tiny):
    hours = tiny.service("tafel").hours
    assert hours_lines(hours, "de") == ["Mo.–Di. 09:00–12:00", "Do. 14:00–18:00"]
    english = hours_lines(hours, "en")
    assert english[0].startswith("Mon–Tue 9:00") and "AM" in english[0]
    assert hours_lines(hours, "tr")[0].startswith("Pzt–Sal")


def test_open_now_follows_the_clock(tiny):
    hours = tiny.service("tafel").hours
    assert is_open(hours, MONDAY_10) is True
    assert is_open(hours, MONDAY_13) is False
    assert is_open({}, MONDAY_10) is None


def test_distances_are_localised():
    assert distance_text(420, "de") == "420 m"
    assert distance_text(1234, "de") == "1,2 km"
    assert distance_text(1234, "en") == "1.2 km"


def test_card_shows_what_a_resident_needs_in_their_language(tiny, catalogs):
    card = render_card(tiny.service("tafel"), tiny, catalogs.translator("de"), MONDAY_10)
    assert "<b>🍞 Tafel Test</b>" in card.text
    assert "Lebensmittel für wenig Geld." in card.text
    assert "Musterstraße 1, 58095 Hagen" in card.text
    assert "jetzt geöffnet" in card.text
    assert "02331 123-45" in card.text
    assert "Gesprochene Sprachen: Deutsch, Türkisch" in card.text
    data = [b.data for row in card.buttons for b in row]
    assert callback(PIN, "tafel") in data and callback(FEEDBACK, "tafel", "1") in data

    english = render_card(tiny.service("tafel"), tiny, catalogs.translator("en"), MONDAY_13)
    assert "Food for little money." in english.text and "closed now" in english.text
    assert "Spoken" not in english.text and "Languages spoken: German, Turkish" in english.text


def test_card_without_translation_falls_back_to_german(tiny, catalogs):
    card = render_card(tiny.service("tafel"), tiny, catalogs.translator("uk"), MONDAY_10)
    assert "Tafel Test" in card.text and "Lebensmittel für wenig Geld." in card.text


def test_every_string_from_the_directory_is_html_escaped(tmp_path, catalogs):
    services = copy.deepcopy(TINY_SERVICES)
    services["tafel"]["name"]["de"] = "<script>alert(1)</script> & Co"
    services["tafel"]["description"]["de"] = "a < b > c"
    directory = load_directory(write_directory(tmp_path / "k", services))
    card = render_card(directory.service("tafel"), directory, catalogs.translator("de"), MONDAY_10)
    assert "<script>" not in card.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in card.text
    assert "a &lt; b &gt; c" in card.text


def test_right_to_left_cards_isolate_latin_addresses_and_phone_numbers(tiny, catalogs):
    card = render_card(tiny.service("tafel"), tiny, catalogs.translator("ar"), MONDAY_10)
    assert "بنك الطعام" in card.text
    assert f"{FSI}02331 123-45{PDI}" in card.text
    assert all(line.startswith(RLM) for line in card.text.splitlines() if line)


def test_every_bundled_card_renders_in_every_language_within_limits(hagen, catalogs):
    for service in hagen.services:
        for lang in ("de", "tr", "ar", "uk", "ru", "ro", "bg", "pl", "en", "fa", "ku"):
            card = render_card(service, hagen, catalogs.translator(lang), MONDAY_10)
            assert 0 < len(card.text) <= 4096
            for row in card.buttons:
                for button in row:
                    assert button.url or len(button.data.encode()) <= CALLBACK_LIMIT


def test_long_messages_are_split_at_lines_and_never_inside_an_entity():
    text = "\n".join(f"<b>Zeile {i}</b> &amp; mehr" for i in range(600))
    parts = split_html(text)
    assert len(parts) > 1 and all(len(p) <= 4096 for p in parts)
    assert "\n".join(parts) == text
    one_line = "wort&amp;" * 1000
    pieces = split_html(one_line)
    assert all(len(p) <= 4096 for p in pieces)
    assert all(not p.endswith("&") and "&am" not in p[-4:] for p in pieces[:-1])


@pytest.mark.parametrize(
    "data", [None, "", "x", "s", "s:", "f:tafel", "f:tafel:1:2", "zz:top", "s:" + "a" * 80]
)
def test_forged_or_foreign_callback_data_is_rejected(data):
    assert parse_callback(data) is None


def test_callback_data_round_trips():
    assert parse_callback(callback(FEEDBACK, "tafel", "0")) == (FEEDBACK, ("tafel", "0"))
    with pytest.raises(ValueError):
        callback(PIN, "x" * 70)


def test_every_ui_message_is_translated_into_every_language_with_its_placeholders():
    import re

    from babel.messages.pofile import read_po

    from bot.directory import LANGUAGES
    from bot.i18n import LOCALE_DIR

    for lang in LANGUAGES:
        with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            catalog = read_po(fh)
        for message in catalog:
            if not message.id:
                continue
            if lang != "en":
                assert message.string, (lang, message.id)
                fields = sorted(re.findall(r"\{\w+\}", message.id))
                assert sorted(re.findall(r"\{\w+\}", message.string)) == fields, (lang, message.id)


def test_every_catalog_holds_exactly_the_messages_the_code_uses():
    """A message the code shows but no catalog holds would appear in English to everyone; one
    the catalogs hold but the code no longer uses is a translation nobody sees."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    from bot.directory import LANGUAGES
    from bot.i18n import LOCALE_DIR

    root = LOCALE_DIR.parent
    used = {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            root, method_map=[("**.py", "python")], keywords={"t": None, "N_": None}
        )
        if isinstance(message, str)
    }
    assert len(used) > 50
    for lang in LANGUAGES:
        with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as fh:
            held = {m.id for m in read_po(fh) if m.id}
        assert used - held == set(), lang
        assert held - used == set(), lang


def test_the_expected_answer_time_names_the_weekday_in_full():
    from datetime import datetime

    from bot.desk import when_text

    wednesday_evening, thursday_morning = datetime(2026, 11, 25, 20), datetime(2026, 11, 26, 9)
    assert when_text(thursday_morning, wednesday_evening, "de") == "Donnerstag 09:00"
    assert when_text(thursday_morning, wednesday_evening, "tr") == "Perşembe 09:00"
    assert when_text(thursday_morning, wednesday_evening, "ku") == "pêncşem 09:00"
    assert when_text(thursday_morning, datetime(2026, 11, 26, 7), "de") == "09:00"


def _service(**fields):
    from bot.directory import Service

    base = {
        "id": "beratung",
        "name": {"de": "Beratung"},
        "categories": ["food"],
        "source": "https://example.org",
        "verified": "2026-11-26",
    }
    return Service.model_validate({**base, **fields})


BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS_9_TO_5 = {day: ["09:00-17:00"] for day in ("mo", "tu", "we", "th", "fr")}


def test_open_now_knows_public_holidays_closures_and_holiday_hours():
    from bot.opening import State, state

    office = _service(hours=WEEKDAYS_9_TO_5)
    assert state(office, datetime(2026, 11, 26, 10, tzinfo=BERLIN)) is State.OPEN  # a Thursday
    # Christmas Day 2026 is a Friday: no source gives holiday hours, so never "open".
    assert state(office, datetime(2026, 12, 25, 10, tzinfo=BERLIN)) is State.HOLIDAY
    with_holiday = _service(hours={**WEEKDAYS_9_TO_5, "ph": ["10:00-12:00"]})
    assert state(with_holiday, datetime(2026, 12, 25, 11, tzinfo=BERLIN)) is State.OPEN
    assert state(with_holiday, datetime(2026, 12, 25, 13, tzinfo=BERLIN)) is State.CLOSED
    closed = _service(hours=WEEKDAYS_9_TO_5, closed=[{"from": "2026-11-23", "to": "2026-11-27"}])
    assert state(closed, datetime(2026, 11, 26, 10, tzinfo=BERLIN)) is State.CLOSED
    line = _service(hours={d: ["00:00-24:00"] for d in ("mo", "tu", "we", "th", "fr", "sa", "su")})
    assert state(line, datetime(2026, 12, 25, 3, tzinfo=BERLIN)) is State.OPEN


def test_a_card_shows_how_to_get_in_and_offers_a_person_when_no_contact_is_known(catalogs, tiny):
    t = catalogs.translator("de")
    now = datetime(2026, 11, 26, 10, tzinfo=BERLIN)
    full = _service(
        hours=WEEKDAYS_9_TO_5,
        access="appointment",
        booking_url="https://termine.example.org",
        bring={"de": "Personalausweis und Bescheid"},
        eligibility={"de": "Alle mit wenig Geld"},
        languages=["de", "tr"],
        languages_note={"de": "Türkisch dienstags"},
        stop="Hagen Hbf",
        closed=[{"from": "2026-12-01", "to": "2026-12-05", "note": {"de": "Umzug"}}],
    )
    card = render_card(full, tiny, t, now)
    for shown in (
        "Nur mit Termin",
        "Mitbringen: Personalausweis und Bescheid",
        "Wer kommen kann: Alle mit wenig Geld",
        "(Türkisch dienstags)",
        "Haltestelle",
        "Geschlossen von",
        "Umzug",
    ):
        assert shown in card.text, shown
    assert any(b.url == "https://termine.example.org" for row in card.buttons for b in row)
    holiday = render_card(full, tiny, t, datetime(2026, 12, 25, 10, tzinfo=BERLIN))
    assert "Feiertag" in holiday.text and "geöffnet" not in holiday.text.lower()
    nowhere = render_card(_service(description={"de": "Irgendwo"}), tiny, t, now)
    assert "noch nicht bekannt" in nowhere.text
    assert any(b.data == "c:ask" for row in nowhere.buttons for b in row)


def test_an_answer_is_the_first_card_in_full_and_a_line_and_button_for_each_other(hagen, catalogs):
    from bot.cards import SHOW, callback, render_answer

    places = [hagen.service("jobcenter-hagen"), hagen.service("agentur-fuer-arbeit-hagen")]
    t = catalogs.translator("de")
    answer = render_answer(places, hagen, t, MONDAY_10)
    card = render_card(places[0], hagen, t, MONDAY_10)
    assert answer.text.startswith(card.text)
    assert answer.buttons[: len(card.buttons)] == card.buttons
    other = answer.text[len(card.text) :]
    assert "Passt auch:" in other and "Agentur für Arbeit Hagen" in other
    assert places[1].phone[0] in other
    assert answer.buttons[-1][0].data == callback(SHOW, "agentur-fuer-arbeit-hagen")
    assert len(answer.text) < 4096
    assert render_answer(places[:1], hagen, t, MONDAY_10) == card
