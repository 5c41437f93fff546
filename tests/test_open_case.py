"""A resident with an open case: answered as usual, messages and files join the case only on
request, either side can close it and the other is told, and a closed case is kept only for
the days the consent text names. Real Application, real SQLite, local Bot API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import button_data, texts
from test_inbox import ALICE, GROUP, RESIDENT, coordinator, escalate, sent

from bot.app import housekeeping
from bot.localapi import LocalBotApi

OTHER = 556


@pytest.fixture
async def desk(harness_for, hagen):
    return await harness_for(hagen, coordinator_chat_id=GROUP, coordinator_user_ids=(ALICE,))


async def test_a_resident_closes_their_own_case_and_the_coordinators_are_told(desk):
    resident, confirm = await escalate(desk, lang="de")
    assert "d:1" in button_data(confirm)  # "settled" is offered with the case number
    await desk.deliver()
    closed = await desk.press(resident, "d:1")
    assert "Anfrage #1 ist geschlossen" in texts(closed)
    assert (await desk.runtime.cases.require(1)).status == "closed"
    told = sent(await desk.deliver(), GROUP)
    assert told and "als erledigt geschlossen" in told[0].text
    assert "schon geschlossen" in texts(await desk.press(resident, "d:1"))
    after = await desk.say(resident, "wo kann ich deutsch lernen")
    assert not any(d.startswith("c:yes:") for d in button_data(after))  # no case to add to


async def test_nobody_closes_another_residents_case(desk):
    await escalate(desk, lang="de")
    intruder = desk.user(user_id=OTHER)
    calls = await desk.press(intruder, "d:1")
    assert any(c.method == "answerCallbackQuery" and c.params.get("show_alert") for c in calls)
    assert (await desk.runtime.cases.require(1)).status == "open"
    assert not sent(await desk.deliver(), GROUP)[1:]  # only the case post, no "closed"


async def test_a_coordinator_closing_the_case_tells_the_resident(desk):
    await escalate(desk, lang="de")
    await desk.deliver()
    reply = await desk.say(coordinator(desk), "/close 1")
    assert "benachrichtigt" in texts(reply)
    delivered = [c for c in await desk.deliver() if c.chat_id == RESIDENT]
    assert delivered and "hat Ihre Anfrage #1 geschlossen" in delivered[0].text
    assert "Brauchen Sie noch Hilfe" in delivered[0].text
    case = await desk.runtime.cases.require(1)
    assert case.status == "closed" and case.first_answer_at is None  # closing is no answer
    assert "schon geschlossen" in texts(await desk.say(coordinator(desk), "/close 1"))


async def test_a_file_in_an_open_case_is_copied_into_its_topic_after_the_residents_yes(
    harness_for, hagen
):
    h = await harness_for(hagen, api=LocalBotApi(forums={GROUP}), coordinator_chat_id=GROUP)
    resident, _ = await escalate(h, lang="de")
    await h.deliver()
    thread = (await h.runtime.cases.require(1)).thread_id
    photo = h.updates.photo(resident, caption="Der Brief vom Jobcenter")
    offer = await h.feed(photo)
    assert "Datei zu Ihrer Anfrage #1" in texts(offer)
    assert not h.api.calls_of("copyMessage")  # nothing leaves before the resident says yes
    adds = [d for d in button_data(offer) if d.startswith("c:yes:")]
    assert "hinzugefügt" in texts(await h.press(resident, adds[-1]))
    delivered = await h.deliver()
    copies = [c for c in delivered if c.method == "copyMessage"]
    assert len(copies) == 1
    copy = copies[0].params
    assert int(copy["chat_id"]) == GROUP and int(copy["from_chat_id"]) == RESIDENT
    assert int(copy["message_id"]) == photo["message"]["message_id"]
    assert int(copy["message_thread_id"]) == thread
    header = sent(delivered, GROUP)
    assert header and "Datei der Person" in header[0].text and "Jobcenter" in header[0].text
    mine = texts(await h.say(resident, "/mydata"))
    assert "📎 Der Brief vom Jobcenter" in mine


async def test_without_an_open_case_a_file_gets_the_kind_text_only_reply(bot):
    resident = bot.user(user_id=RESIDENT)
    calls = await bot.feed(bot.updates.photo(resident))
    assert "nur Text lesen" in texts(calls) and not button_data(calls)


async def test_a_reply_to_the_coordinators_answer_joins_the_case_without_asking(desk):
    resident, _ = await escalate(desk, lang="de")
    post = sent(await desk.deliver(), GROUP)[0]
    answer = desk.updates.text(
        coordinator(desk), "Haben Sie den Bescheid?", chat_id=GROUP, reply_to_message=post.result
    )
    await desk.feed(answer)
    relayed = next(c for c in await desk.deliver() if c.chat_id == RESIDENT)
    assert "beantwortet" in texts(await desk.say(coordinator(desk), "/inbox"))
    back = desk.updates.text(resident, "Ja, vom 3. März.", reply_to_message=relayed.result)
    calls = await desk.feed(back)
    assert "hinzugefügt" in texts(calls) and not button_data(calls)
    bodies = [m.body for m in await desk.runtime.cases.messages(1)]
    assert bodies[-1] == "Ja, vom 3. März."


@pytest.mark.parametrize(
    "said",
    [
        "ich will nicht mehr leben",  # a danger phrase
        "hab alles erledigt, mein hund geht an meinen bruder, macht es gut",  # like its examples
    ],
)
async def test_danger_inside_an_open_case_joins_it_at_once_as_urgent(desk, said):
    resident, _ = await escalate(desk, lang="de")
    calls = await desk.say(resident, said)
    assert "112" in texts(calls) and "hinzugefügt" in texts(calls)
    assert (await desk.runtime.cases.require(1)).priority == "high"


async def test_a_closed_case_is_kept_for_the_days_the_consent_names_an_open_one_longer(
    harness_for, hagen
):
    h = await harness_for(hagen, coordinator_user_ids=(ALICE,), closed_days=30)
    first, _ = await escalate(h, user_id=RESIDENT, lang="de")
    await escalate(h, "Wo gibt es einen Bingo-Abend?", user_id=OTHER, lang="de")
    await h.press(first, "d:1")
    assert await housekeeping(h.runtime, datetime.now(UTC) + timedelta(days=29)) == 0
    assert await housekeeping(h.runtime, datetime.now(UTC) + timedelta(days=31)) == 1
    assert (await h.runtime.cases.require(1)).anonymised
    assert not (await h.runtime.cases.require(2)).anonymised  # open: 180 days of idleness
    assert await housekeeping(h.runtime, datetime.now(UTC) + timedelta(days=181)) == 1


async def test_a_case_carries_the_quarter_the_resident_told(desk):
    resident = desk.user(user_id=RESIDENT, lang="de")
    await desk.say(resident, "/area")
    await desk.press(resident, "a:zentrum-remberg")
    await escalate(desk, lang="de")
    assert await desk.runtime.db.value("SELECT area FROM cases WHERE id = 1") == "zentrum-remberg"


async def test_a_forum_topic_goes_anonymously_or_as_a_request_by_the_residents_choice(desk):
    resident = desk.user(user_id=RESIDENT, lang="de")
    assert "/forumtopic" in texts(await desk.say(resident, "/forumtopic"))  # how to use it
    asked = await desk.say(resident, "/forumtopic mehr Licht im Volkspark")
    token = next(d for d in button_data(asked) if d.startswith("t:no:")).split(":")[2]
    await desk.press(resident, f"t:no:{token}")
    posted = texts(sent(desk.api.calls, GROUP))
    assert "Themenvorschlag" in posted and "mehr Licht im Volkspark" in posted
    assert str(RESIDENT) not in posted and not await desk.runtime.cases.open_cases()
    again = await desk.press(resident, f"t:no:{token}")  # a second press does not post again
    assert any(c.params.get("show_alert") for c in again if c.method == "answerCallbackQuery")
    asked = await desk.say(resident, "/forumtopic Spielplatz an der Friedensstraße")
    await desk.press(resident, next(d for d in button_data(asked) if d.startswith("t:yes:")))
    case = (await desk.runtime.cases.open_cases())[0]
    assert case.topic == "forum" and case.resident_chat_id == RESIDENT


async def test_in_an_open_case_only_a_bare_greeting_stays_out_of_it(desk):
    """A message the matcher reads as small talk ("hi" and two ordinary words) is still offered
    to the case when it says more than hello or thanks; "hallo" and "danke für die Antwort"
    are not (thanks asks whether the case is settled)."""
    resident, _ = await escalate(desk, lang="de")
    for text in ("danke, und noch eine frage zum termin", "Nachtrag hi zur Anfrage"):
        assert desk.runtime.matcher.match(text, "de").decision == "greeting"  # the premise
        calls = await desk.say(resident, text)
        offered = [d for d in button_data(calls) if d.startswith("c:yes:")]
        assert offered, texts(calls)
        await desk.press(resident, offered[-1])
    bodies = [m.body for m in await desk.runtime.cases.messages(1)]
    assert "Nachtrag hi zur Anfrage" in bodies
    calls = await desk.say(resident, "hallo")
    assert not [d for d in button_data(calls) if d.startswith("c:yes:")]
    assert "Wie kann ich helfen" in texts(calls)
    calls = await desk.say(resident, "danke für die antwort")
    assert not [d for d in button_data(calls) if d.startswith("c:yes:")]
    assert "Ist Ihre Anfrage #1 erledigt" in texts(calls)
