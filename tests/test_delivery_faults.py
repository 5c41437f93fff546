"""Posts to the coordinators are never silently dropped: a deleted topic, missing topic rights,
a migrated group, a wrong chat id, a coordinator who never started the bot, and bookkeeping
that fails after a successful send. Real Application, real SQLite, local Bot API."""

from __future__ import annotations

import sqlite3

import pytest
from conftest import consent_button, texts

from bot.app import courier_of
from bot.cards import ESCALATE, callback
from bot.localapi import Fault, LocalBotApi

GROUP = -1001234
ALICE, BOB = 9001, 9002
RESIDENT = 555


def forum_api() -> LocalBotApi:
    return LocalBotApi(forums={GROUP})


async def escalate(h, text="Mein Nachbar ist immer so laut, was kann ich tun?", user_id=RESIDENT):
    resident = h.user(user_id=user_id, lang="de")
    await h.say(resident, text)
    await h.press(resident, callback(ESCALATE, "ask"))
    await h.press(resident, consent_button(h.api, user_id))
    return resident


async def due_now(h) -> None:
    """Let backoff pass (instead of waiting minutes)."""
    await h.runtime.db.write(("UPDATE outbox SET next_attempt_at = ''", ()))


def posts(calls, chat_id):
    return [c for c in calls if c.method == "sendMessage" and c.chat_id == chat_id and c.result]


async def test_a_deleted_topic_gets_a_new_one_and_the_follow_up_arrives(harness_for, hagen):
    h = await harness_for(hagen, api=forum_api(), coordinator_chat_id=GROUP)
    resident = await escalate(h)
    await h.deliver()
    assert (await h.runtime.cases.require(1)).thread_id == 100
    h.api.faults.append(
        Fault("sendMessage", 400, "Bad Request: message thread not found", chat_id=GROUP)
    )
    await h.add(resident, "Es ist jede Nacht ab 23 Uhr.")
    await h.deliver()  # refused: the topic was deleted
    delivered = await h.deliver()
    assert any("ab 23 Uhr" in c.text for c in posts(delivered, GROUP))
    case = await h.runtime.cases.require(1)
    assert case.thread_id == 101 and len(h.api.calls_of("createForumTopic")) == 2


async def test_without_topic_rights_cases_are_posted_as_plain_messages(harness_for, hagen):
    h = await harness_for(hagen, api=forum_api(), coordinator_chat_id=GROUP)
    h.api.faults.append(
        Fault("createForumTopic", 400, "Bad Request: not enough rights to create a topic")
    )
    await escalate(h)
    await h.deliver()
    delivered = await h.deliver()
    post = posts(delivered, GROUP)
    assert post and "Anfrage #1" in post[0].text and "message_thread_id" not in post[0].params


async def test_a_group_that_moved_is_followed_now_and_after_a_restart(harness_for, hagen):
    new_group = -1005555
    h = await harness_for(hagen, coordinator_chat_id=GROUP)
    h.api.faults.append(
        Fault(
            "sendMessage",
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            chat_id=GROUP,
            migrate_to=new_group,
        )
    )
    await escalate(h)
    await h.deliver()
    delivered = await h.deliver()
    assert posts(delivered, new_group) and not posts(delivered, GROUP)
    # The coordinators answer in the new group, and the bot still knows it after a restart.
    again = await harness_for(hagen, api=h.api, coordinator_chat_id=GROUP)
    assert again.runtime.desk_chat_id == new_group
    post = posts(delivered, new_group)[0]
    alice = again.updates.user(ALICE, "Alice", "de")
    again.updates = type(again.updates)(5000)
    await again.feed(
        again.updates.text(alice, "Wir rufen an.", chat_id=new_group, reply_to_message=post.result)
    )
    assert any("Wir rufen an." in c.text for c in await again.deliver() if c.chat_id == RESIDENT)


async def test_a_post_that_keeps_failing_is_kept_retried_and_alerted_about(harness_for, hagen):
    h = await harness_for(hagen, coordinator_chat_id=GROUP, coordinator_user_ids=(ALICE,))
    h.api.faults.append(
        Fault("sendMessage", 400, "Bad Request: chat not found", chat_id=GROUP, count=10)
    )
    await escalate(h)
    for _ in range(4):
        await due_now(h)
        await h.deliver()
    item = await h.runtime.db.rows("SELECT failed, done_at, alerted FROM outbox")
    assert item == [(0, None, 1)]  # not given up, not done, alerted
    alerts = [c for c in h.api.sent_to(ALICE) if "mehrmals nicht zugestellt" in c.text]
    assert len(alerts) == 1 and "#1" in alerts[0].text
    listing = texts(await h.say(h.updates.user(ALICE, "Alice", "de"), "/inbox"))
    assert "Nicht zugestellt" in listing and "chat not found" in listing.lower()
    # Once the chat works again, the post arrives.
    h.api.faults.clear()
    await due_now(h)
    assert posts(await h.deliver(), GROUP)


async def test_one_coordinator_who_never_started_the_bot_holds_up_nobody(harness_for, hagen):
    h = await harness_for(hagen, coordinator_user_ids=(ALICE, BOB))
    h.api.blocked.add(ALICE)  # listed first, never pressed Start
    resident = await escalate(h)
    await h.deliver()
    for number in range(3):
        await h.add(resident, f"Nachtrag {number}")
        await due_now(h)
        await h.deliver()
        await due_now(h)
        await h.deliver()
    bob = texts(h.api.sent_to(BOB))
    assert bob.count("Anfrage #1") >= 1
    for number in range(3):
        assert bob.count(f"Nachtrag {number}") == 1  # each exactly once, however often retried
    assert "9001" in bob and "Start" in bob  # Bob is told about Alice
    assert await h.runtime.cases.pending() == 0


async def test_nobody_reachable_keeps_the_case_for_when_someone_presses_start(harness_for, hagen):
    h = await harness_for(hagen, coordinator_user_ids=(ALICE,))
    h.api.blocked.add(ALICE)
    await escalate(h)
    await h.deliver()
    assert await h.runtime.cases.pending() == 1
    h.api.blocked.clear()
    await due_now(h)
    await h.deliver()
    assert "Anfrage #1" in texts(h.api.sent_to(ALICE))


async def test_a_send_whose_bookkeeping_failed_is_not_sent_again(harness_for, hagen, monkeypatch):
    h = await harness_for(hagen, coordinator_chat_id=GROUP)
    await escalate(h)
    inbox = h.runtime.cases
    real = inbox.delivered
    failures = [sqlite3.OperationalError("database or disk is full")] * 3

    async def flaky(item):
        if failures:
            raise failures.pop()
        await real(item)

    monkeypatch.setattr(inbox, "delivered", flaky)
    for _ in range(5):
        await due_now(h)
        await h.deliver()
    assert len(posts(h.api.calls, GROUP)) == 1  # sent once, recorded at the fourth try
    assert await inbox.pending() == 0
    assert courier_of(h.app) is not None


@pytest.mark.parametrize("reason", ["Bad Request: TOPIC_DELETED", "Bad Request: TOPIC_CLOSED"])
async def test_other_words_for_a_gone_topic_are_recovered_too(harness_for, hagen, reason):
    h = await harness_for(hagen, api=forum_api(), coordinator_chat_id=GROUP)
    resident = await escalate(h)
    await h.deliver()
    h.api.faults.append(Fault("sendMessage", 400, reason, chat_id=GROUP))
    await h.add(resident, "Noch eine Frage")
    await h.deliver()
    assert any("Noch eine Frage" in c.text for c in posts(await h.deliver(), GROUP))


async def test_a_coordinator_answer_that_could_not_be_stored_says_so(
    harness_for, hagen, monkeypatch
):
    h = await harness_for(hagen, coordinator_chat_id=GROUP)
    await escalate(h)
    post = posts(await h.deliver(), GROUP)[0]

    async def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(h.runtime.cases, "add_message", disk_full)
    alice = h.updates.user(ALICE, "Alice", "de")
    calls = await h.feed(
        h.updates.text(alice, "Kommen Sie Dienstag.", chat_id=GROUP, reply_to_message=post.result)
    )
    assert "nicht gespeichert" in texts(posts(calls, GROUP)).lower()
    assert not any(c.chat_id == RESIDENT for c in await h.deliver())


async def test_an_answer_stored_before_a_crash_is_not_called_unsaved_when_handled_again(
    harness_for, hagen, monkeypatch
):
    """The bot stored a coordinator's answer and died before marking the update handled; the
    journal hands it over again while the disk is full. The answer is safe, so the coordinator
    is not asked to send it again (which would reach the resident twice)."""
    h = await harness_for(hagen, coordinator_chat_id=GROUP)
    await escalate(h)
    post = posts(await h.deliver(), GROUP)[0]
    alice = h.updates.user(ALICE, "Alice", "de")
    answer = h.updates.text(
        alice, "Kommen Sie Dienstag.", chat_id=GROUP, reply_to_message=post.result
    )
    await h.feed(answer)
    sql = "DELETE FROM processed_updates WHERE update_id = ?"
    await h.runtime.db.write((sql, (answer["update_id"],)))

    async def disk_full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(h.runtime.cases, "add_message", disk_full)
    calls = await h.feed(answer)
    assert "nicht gespeichert" not in texts(posts(calls, GROUP)).lower()
    delivered = [c for c in await h.deliver() if c.chat_id == RESIDENT]
    assert [c.text.count("Kommen Sie Dienstag.") for c in delivered] == [1]


async def test_a_reply_to_an_unrecorded_case_post_in_a_private_desk_still_arrives(
    harness_for, hagen
):
    """The bot died after sending a case post to a coordinator and before recording it: her
    reply to that copy names the case in the post's bold header."""
    h = await harness_for(hagen, coordinator_user_ids=(ALICE,))
    await escalate(h)
    post = posts(await h.deliver(), ALICE)[0]
    await h.runtime.db.write(("DELETE FROM case_posts", ()))
    alice = h.updates.user(ALICE, "Alice", "de")
    await h.feed(h.updates.text(alice, "Wir rufen Sie an.", reply_to_message=post.result))
    assert any("Wir rufen Sie an." in c.text for c in await h.deliver() if c.chat_id == RESIDENT)


async def test_a_coordinator_who_is_also_a_resident_does_not_answer_her_own_case(
    harness_for, hagen
):
    h = await harness_for(hagen, coordinator_chat_id=GROUP, coordinator_user_ids=(ALICE,))
    alice = await escalate(h, user_id=ALICE)  # Alice asks for herself
    await h.deliver()
    added = [c for c in await h.add(alice, "Noch eine Frage dazu") if "hinzugefügt" in c.text]
    await h.feed(h.updates.text(alice, "Danke!", reply_to_message=added[0].result))
    case = await h.runtime.cases.require(1)
    assert case.status == "open" and case.first_answer_at is None


async def test_in_private_mode_a_copy_whose_record_failed_is_not_sent_again(
    harness_for, hagen, monkeypatch
):
    h = await harness_for(hagen, coordinator_user_ids=(ALICE,))
    await escalate(h)
    inbox = h.runtime.cases
    real = inbox.record_sent
    failures = [sqlite3.OperationalError("database or disk is full")]

    async def flaky(*args):
        if failures:
            raise failures.pop()
        await real(*args)

    monkeypatch.setattr(inbox, "record_sent", flaky)
    for _ in range(4):
        await due_now(h)
        await h.deliver()
    assert len(posts(h.api.calls, ALICE)) == 1
    assert await inbox.pending() == 0
