"""The coordinators' desk: internal notes, the morning overview, a hint for a message that
answers no case. Real Application, real SQLite, local Bot API."""

from __future__ import annotations

import pytest
from conftest import texts
from test_inbox import ALICE, GROUP, RESIDENT, coordinator, escalate, sent

from bot.coordinator import digest

BOB = 9002


@pytest.fixture
async def desk(harness_for, hagen):
    return await harness_for(hagen, coordinator_chat_id=GROUP, coordinator_user_ids=(ALICE,))


async def test_a_note_starting_with_an_exclamation_mark_stays_with_the_coordinators(desk):
    resident, _ = await escalate(desk, lang="de")
    post = sent(await desk.deliver(), GROUP)[0]
    note = desk.updates.text(
        coordinator(desk),
        "! Vermieter ist bekannt, AZ 12/3",
        chat_id=GROUP,
        reply_to_message=post.result,
    )
    await desk.feed(note)
    assert not [c for c in await desk.deliver() if c.chat_id == RESIDENT]
    history = texts(await desk.say(coordinator(desk), "/case 1"))
    assert "📝 Alice" in history and "AZ 12/3" in history
    # Data about the resident: in their /mydata, though never sent as an answer.
    assert "📝" in texts(await desk.say(resident, "/mydata"))


async def test_the_morning_overview_lists_open_cases_urgent_first(desk):
    assert await digest(desk.runtime, desk.app.bot) == 0  # no open case, no message
    await escalate(desk, "Wo gibt es einen Bingo-Abend?", lang="de")
    second, _ = await escalate(desk, user_id=556, lang="de")
    await desk.say(second, "ich will nicht mehr leben")  # joins case #2 as urgent
    before = len(desk.api.calls)
    assert await digest(desk.runtime, desk.app.bot) == 1
    overview = texts(desk.api.calls[before:])
    assert "Tagesübersicht" in overview
    assert overview.index("🚨 #2") < overview.index("#1 ·")


async def test_in_a_private_desk_a_message_that_answers_no_case_gets_a_hint(harness_for, hagen):
    h = await harness_for(hagen, coordinator_user_ids=(ALICE,))
    await escalate(h, lang="de")
    await h.deliver()
    calls = await h.say(coordinator(h), "Guten Morgen, ich bin heute bis 14 Uhr da")
    assert "zu keiner Anfrage" in texts(calls)
    assert not [c for c in await h.deliver() if c.chat_id == RESIDENT]
    assert len(await h.runtime.cases.messages(1)) == 1


async def test_a_ready_answer_goes_out_in_the_residents_language(desk):
    await escalate(desk, lang="tr")
    post = sent(await desk.deliver(), GROUP)[0]
    listed = texts(await desk.say(coordinator(desk), "/vorlagen"))
    assert "#foto-brief" in listed and "#rueckruf" in listed
    await desk.feed(
        desk.updates.text(
            coordinator(desk), "#foto-brief", chat_id=GROUP, reply_to_message=post.result
        )
    )
    to_resident = texts([c for c in await desk.deliver() if c.chat_id == RESIDENT])
    assert "mektubun bir fotoğrafını" in to_resident and "#foto-brief" not in to_resident
    history = texts(await desk.say(coordinator(desk), "/case 1"))
    assert "📋 #foto-brief: Bitte schicken Sie uns hier ein Foto" in history  # German for the desk
    unknown = await desk.feed(
        desk.updates.text(
            coordinator(desk), "#gibtsnicht", chat_id=GROUP, reply_to_message=post.result
        )
    )
    assert "Unbekannte Vorlage" in texts(unknown)
    assert not [c for c in await desk.deliver() if c.chat_id == RESIDENT]


async def test_the_monthly_reminder_lists_entries_due_for_a_check_with_their_source(desk):
    from datetime import date

    from bot.coordinator import review_reminder

    before = len(desk.api.calls)
    assert await review_reminder(desk.runtime, desk.app.bot, date(2026, 12, 1)) == 0
    assert await review_reminder(desk.runtime, desk.app.bot, date(2027, 11, 1)) == 1
    text = texts(desk.api.calls[before:])
    assert "Verzeichnis prüfen" in text and "bahnhofsmission-hagen" in text
    assert "https://" in text  # the source to check against
