"""Events and recurring activities: recurrence with cancelled dates, validation by lotse check,
/events in the resident's language with a quarter filter, and the calendar file. Real
Application, local Bot API."""

from __future__ import annotations

import io
from datetime import datetime

import yaml
from conftest import button_data, texts, write_directory

from bot.cli import main
from bot.directory import load_directory
from bot.events import BERLIN, EventSeries, occurrences

CAFE = {
    "id": "sprachcafe",
    "title": {"de": "Sprachcafé", "tr": "Dil kafesi", "en": "Language café"},
    "description": {"de": "Deutsch üben bei Tee und Kuchen."},
    "start": "2026-01-06T15:00",
    "end": "2026-01-06T17:00",
    "rrule": "FREQ=WEEKLY;BYDAY=TU",
    "exdates": ["2026-12-29"],
    "place": {"service": "tafel"},
    "cost": {"de": "kostenlos"},
    "areas": ["altenhagen-eckesey-sued"],
    "source": "https://example.org/sprachcafe",
    "verified": "2026-11-20",
}
DAILY = {
    **CAFE,
    "id": "treff",
    "title": {"de": "Offener Treff", "en": "Open meeting"},
    "rrule": "FREQ=DAILY",
    "exdates": [],
    "areas": ["zentrum-remberg"],
}


def with_events(root, *events):
    (root / "events").mkdir(exist_ok=True)
    for event in events:
        (root / "events" / f"{event['id']}.yaml").write_text(yaml.safe_dump(event), "utf-8")
    return root


def test_a_weekly_series_skips_its_cancelled_dates_and_ends_when_it_says():
    series = EventSeries.model_validate({**CAFE, "place": {"street": "Musterstraße 1"}})
    december = occurrences(
        series, datetime(2026, 12, 1, tzinfo=BERLIN), datetime(2027, 1, 1, tzinfo=BERLIN)
    )
    assert [o.start.day for o in december] == [1, 8, 15, 22]  # the 29th is cancelled
    assert all(o.start.hour == 15 and o.end.hour == 17 for o in december)
    ended = EventSeries.model_validate({**CAFE, "place": {"street": "x 1"}, "until": "2026-12-10"})
    assert (
        len(
            occurrences(
                ended, datetime(2026, 12, 1, tzinfo=BERLIN), datetime(2027, 1, 1, tzinfo=BERLIN)
            )
        )
        == 2
    )


def test_lotse_check_validates_events_like_services(tmp_path):
    root = write_directory(tmp_path / "k")
    with_events(root, CAFE)
    assert len(load_directory(root).events) == 1
    with_events(root, {**CAFE, "id": "bad", "rrule": "EVERY TUESDAY", "place": {"service": "nope"}})
    out = io.StringIO()
    assert main(["check", str(root)], out=out) == 1
    assert "events/bad.yaml: rrule" in out.getvalue()


async def test_events_lists_whats_on_filters_by_quarter_and_sends_a_calendar_file(
    harness_for, tiny_root
):
    directory = load_directory(with_events(tiny_root, CAFE, DAILY))
    h = await harness_for(directory)
    resident = h.user(user_id=321, lang="de")
    calls = await h.say(resident, "/events")
    assert "Was ist los in den nächsten zwei Wochen" in texts(calls)
    assert "Offener Treff" in texts(calls) and "Musterstraße 1" in texts(calls)
    assert "w:zentrum-remberg" in button_data(calls)
    filtered = await h.press(resident, "w:altenhagen-eckesey-sued")
    edited = [c for c in filtered if c.method == "editMessageText"]
    assert edited and "Offener Treff" not in edited[0].text  # only that quarter (and city-wide)
    calendar = next(d for d in button_data(calls) if d.startswith("i:treff:"))
    sent = await h.press(resident, calendar)
    documents = [c for c in sent if c.method == "sendDocument"]
    assert documents
    assert any(c.method == "answerCallbackQuery" for c in sent)
    forged = await h.press(resident, "i:treff:209901010000")
    assert any(c.params.get("show_alert") for c in forged if c.method == "answerCallbackQuery")


def test_the_calendar_file_holds_that_date_in_the_residents_language(tiny_root):
    from icalendar import Calendar

    from bot.events import ics

    directory = load_directory(with_events(tiny_root, CAFE))
    series = directory.events[0]
    first = occurrences(
        series, datetime(2026, 12, 1, tzinfo=BERLIN), datetime(2026, 12, 2, tzinfo=BERLIN)
    )[0]
    event = Calendar.from_ical(ics(first, directory, "tr")).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Dil kafesi"
    assert event.decoded("DTSTART") == datetime(2026, 12, 1, 15, tzinfo=BERLIN)
    assert "Musterstraße 1" in str(event["LOCATION"])


async def test_a_resident_may_tell_their_quarter_see_it_and_take_it_back(harness_for, tiny_root):
    directory = load_directory(with_events(tiny_root, CAFE, DAILY))
    h = await harness_for(directory)
    resident = h.user(user_id=322, lang="de")
    asked = await h.say(resident, "/area")
    assert "Wo wohnen Sie?" in texts(asked) and "a:altenhagen-eckesey-sued" in button_data(asked)
    assert await h.runtime.db.area_of(322) is None  # nothing stored by asking
    await h.press(resident, "a:altenhagen-eckesey-sued")
    stored = await h.runtime.db.resident(322)
    assert stored.area == "altenhagen-eckesey-sued" and stored.area_at
    assert "Quartier: Altenhagen/Eckesey-Süd" in texts(await h.say(resident, "/mydata"))
    own = await h.say(resident, "/events")  # the own quarter first: the Remberg series is not
    assert "Sprachcafé" in texts(own) and "Offener Treff" not in texts(own)
    await h.say(resident, "lebensmittel")
    logged = await h.runtime.db.rows("SELECT area FROM question_log")
    assert logged == [("altenhagen-eckesey-sued",)]  # counted by quarter, without the chat id
    forged = await h.press(resident, "a:mars")
    assert any(c.params.get("show_alert") for c in forged if c.method == "answerCallbackQuery")
    await h.press(resident, "a:none")
    assert await h.runtime.db.area_of(322) is None


async def test_a_forum_collects_answers_counts_them_for_the_desk_and_reminds_the_day_before(
    harness_for, tiny_root
):
    from datetime import timedelta

    from bot.coordinator import remind

    forum = {**DAILY, "id": "forum", "kind": "forum", "title": {"de": "Stadtteilforum"}}
    directory = load_directory(with_events(tiny_root, forum))
    desk_group = -1005
    h = await harness_for(directory, coordinator_chat_id=desk_group, coordinator_user_ids=(9001,))
    lena, emre = h.user(user_id=331, lang="de"), h.user(user_id=332, lang="tr")
    listing = await h.say(lena, "/events")
    tomorrow = f"{(h.runtime.now() + timedelta(days=1)):%Y%m%d}1500"
    assert f"r:forum:{tomorrow}:yes" in button_data(listing)
    await h.press(lena, f"r:forum:{tomorrow}:yes")
    await h.press(emre, f"r:forum:{tomorrow}:maybe")
    forged = await h.press(emre, "r:forum:209901011500:yes")
    assert any(c.params.get("show_alert") for c in forged if c.method == "answerCallbackQuery")
    if h.runtime.now().hour < 15:  # today's date is the next one: count that one
        await h.press(lena, f"r:forum:{h.runtime.now():%Y%m%d}1500:yes")
    counts = texts(
        await h.feed(h.updates.text(h.user(9001, "Alice"), "/forum forum", chat_id=desk_group))
    )
    assert "Stadtteilforum" in counts and "kommen" in counts
    before = len(h.api.calls)
    assert await remind(h.runtime, h.app.bot) == 2
    reminders = texts(h.api.calls[before:])
    assert "Erinnerung: morgen" in reminders and "Hatırlatma: yarın" in reminders
    assert await remind(h.runtime, h.app.bot) == 0  # once


async def test_a_question_naming_an_event_gets_its_dates(harness_for, tiny_root):
    directory = load_directory(with_events(tiny_root, DAILY, {**CAFE, "rrule": "FREQ=DAILY"}))
    h = await harness_for(directory)
    resident = h.user(user_id=333, lang="tr")
    calls = await h.say(resident, "sprachcafe ne zaman")
    assert "Takvimde" in texts(calls) and "Dil kafesi" in texts(calls)
    assert any(d.startswith("i:sprachcafe:") for d in button_data(calls))
    assert "Offener Treff" not in texts(calls)  # only the event the question names
    plain = await h.say(resident, "lebensmittel")
    assert "Takvimde" not in texts(plain)
