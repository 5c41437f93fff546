"""The coordinator's inbox end to end: consent, cases, relay both ways, delivery trouble,
restarts, duplicates, residents' rights. Real Application, real SQLite, local Bot API."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import button_data, consent_button, texts

from bot.app import courier_of, housekeeping
from bot.cards import ESCALATE, callback
from bot.delivery import backoff
from bot.localapi import Fault, LocalBotApi, UpdateFactory


def sent(calls, chat_id):
    return [c for c in calls if c.method == "sendMessage" and c.chat_id == chat_id]


GROUP = -1001234
ALICE = 9001  # a coordinator
RESIDENT = 555


@pytest.fixture
async def desk(harness_for, hagen):
    """Bot with a coordinator group (reply mode: a plain supergroup without topics)."""
    return await harness_for(hagen, coordinator_chat_id=GROUP, coordinator_user_ids=(ALICE,))


def coordinator(h, user_id=ALICE, name="Alice"):
    return h.updates.user(user_id, name, "de")


async def escalate(
    h, text="Mein Nachbar ist immer so laut, was kann ich tun?", user_id=RESIDENT, lang="tr"
):
    """A resident asks something the bot cannot answer and agrees to pass it on."""
    resident = h.user(user_id=user_id, lang=lang)
    calls = await h.say(resident, text)
    assert callback(ESCALATE, "ask") in button_data(calls), texts(calls)
    await h.press(resident, callback(ESCALATE, "ask"))
    confirm = await h.press(resident, consent_button(h.api, user_id))
    return resident, confirm


async def test_consent_text_says_who_reads_what_and_how_long(desk):
    resident = desk.user(user_id=RESIDENT, lang="en")
    await desk.say(resident, "my neighbour is too loud every night")
    calls = await desk.press(resident, callback(ESCALATE, "ask"))
    text = texts(calls)
    assert "A person from the coordination office" in text
    assert "«my neighbour is too loud every night»" in text
    assert "30 days after the case is closed" in text and "180 days after your last" in text
    assert "/mydata" in text and "/delete" in text


async def test_escalation_without_consent_stores_nothing(desk):
    resident = desk.user(user_id=RESIDENT)
    await desk.say(resident, "mein nachbar ist zu laut")
    await desk.press(resident, callback(ESCALATE, "ask"))
    calls = await desk.press(resident, consent_button(desk.api, RESIDENT, "no"))
    assert "nichts gespeichert" in texts(calls)
    assert await desk.runtime.cases.open_cases() == []
    assert await desk.runtime.cases.pending() == 0


async def test_escalation_with_consent_opens_a_case_and_tells_the_coordinators(desk):
    _resident, confirm = await escalate(desk, lang="de")
    cases = await desk.runtime.cases.open_cases()
    assert len(cases) == 1
    case = cases[0]
    assert f"#{case.id}" in texts(confirm)
    assert "Mo.–Fr. 09:00–16:00" in texts(confirm)
    assert case.resident_chat_id == RESIDENT and case.lang == "de"
    resident_row = await desk.runtime.db.resident(RESIDENT)
    assert resident_row is not None and resident_row.consent_at

    posted = await desk.deliver()
    to_group = sent(posted, GROUP)
    assert to_group and f"Anfrage #{case.id}" in to_group[0].text
    assert "┃ Mein Nachbar ist immer so laut, was kann ich tun?" in to_group[0].text
    assert f"k:claim:{case.id}" in button_data(to_group)


async def test_case_is_committed_before_the_resident_hears_of_it(desk):
    resident = desk.user(user_id=RESIDENT)
    await desk.say(resident, "mein nachbar ist zu laut")
    await desk.press(resident, callback(ESCALATE, "ask"))
    desk.api.faults.append(Fault("sendMessage", 500))  # the confirmation itself fails to send
    await desk.press(resident, consent_button(desk.api, RESIDENT))
    assert len(await desk.runtime.cases.open_cases()) == 1


async def test_inside_an_open_case_questions_are_answered_and_join_the_case_only_on_request(desk):
    resident, _ = await escalate(desk, lang="de")
    case = (await desk.runtime.cases.open_cases())[0]
    calls = await desk.say(resident, "wo kann ich deutsch lernen")
    assert "Volkshochschule" in texts(calls)  # answered as usual, not swallowed
    assert "hinzugefügt" not in texts(calls) and f"#{case.id}" in texts(calls)
    assert [m.body for m in await desk.runtime.cases.messages(case.id)][-1] != "wo kann ich"
    thanks = await desk.say(resident, "danke")
    assert "Gern geschehen" in texts(thanks) and f"d:{case.id}" in button_data(thanks)
    assert len(await desk.runtime.cases.messages(case.id)) == 1  # neither joined the case

    calls = await desk.add(resident, "Es passiert jede Nacht ab 23 Uhr.")
    assert "Zu Ihrer Anfrage #1 hinzugefügt" in texts(calls)
    messages = await desk.runtime.cases.messages(case.id)
    assert [m.body for m in messages][-1] == "Es passiert jede Nacht ab 23 Uhr."
    posted = await desk.deliver()
    assert any("Nachtrag" in c.text and "jede Nacht" in c.text for c in posted)


async def test_reply_to_the_case_post_reaches_the_resident_in_reply_mode(desk):
    _resident, _ = await escalate(desk)
    post = sent(await desk.deliver(), GROUP)[0]
    message_id = await desk.runtime.cases.first_post(1, GROUP)
    assert message_id is not None and "Anfrage #1" in post.text
    answer = desk.updates.text(
        coordinator(desk),
        "Sprechen Sie bitte zuerst mit dem Vermieter.",
        chat_id=GROUP,
        reply_to_message={
            "message_id": message_id,
            "date": 0,
            "chat": {"id": GROUP, "type": "supergroup"},
        },
    )
    await desk.feed(answer)
    delivered = await desk.deliver()
    to_resident = [c for c in delivered if c.chat_id == RESIDENT]
    assert len(to_resident) == 1
    assert "Sprechen Sie bitte zuerst mit dem Vermieter." in to_resident[0].text


async def test_forum_topics_give_each_case_its_own_thread(harness_for, hagen):
    api = LocalBotApi(forums={GROUP})  # the coordinator group has topics enabled
    h = await harness_for(hagen, api=api, coordinator_chat_id=GROUP)
    await escalate(h)
    await h.deliver()
    topics = h.api.calls_of("createForumTopic")
    assert len(topics) == 1 and topics[0].params["name"].startswith("#1 · tr")
    # The topic's name outlives /delete in Telegram: none of the resident's words in it.
    assert not {"nachbar", "laut"} & set(topics[0].params["name"].lower().split())
    case = await h.runtime.cases.require(1)
    assert case.thread_id is not None
    in_topic = h.updates.text(
        coordinator(h, 4711, "Bob"),
        "Wir melden uns morgen.",
        chat_id=GROUP,
        message_thread_id=case.thread_id,
        is_topic_message=True,
    )
    await h.feed(in_topic)
    delivered = [c for c in await h.deliver() if c.chat_id == RESIDENT]
    assert "Wir melden uns morgen." in delivered[0].text


async def test_coordinator_sends_a_directory_entry_in_the_residents_language(desk):
    await escalate(desk, "sąsiad hałasuje każdej nocy, co robić", lang="pl")
    await desk.deliver()
    case = (await desk.runtime.cases.open_cases())[0]
    calls = await desk.feed(
        desk.updates.callback(coordinator(desk), f"e:{case.id}:frauenberatung-hagen")
    )
    assert any(c.method == "answerCallbackQuery" for c in calls)
    delivered = [c for c in await desk.deliver() if c.chat_id == RESIDENT]
    # Polish has no description: the card falls back to German, the name is Polish.
    assert "Poradnia dla kobiet Hagen" in delivered[0].text


async def test_claim_close_and_spam_buttons(desk):
    await escalate(desk)
    await desk.deliver()
    alice = coordinator(desk)
    await desk.feed(desk.updates.callback(alice, "k:claim:1"))
    assert (await desk.runtime.cases.require(1)).claimed_name == "Alice"
    await desk.feed(desk.updates.callback(alice, "k:close:1"))
    assert (await desk.runtime.cases.require(1)).status == "closed"
    await escalate(desk, user_id=556)
    await desk.feed(desk.updates.callback(alice, "k:spam:2"))
    assert (await desk.runtime.cases.require(2)).spam


async def test_inbox_case_close_and_stats_commands_for_coordinators(desk):
    await escalate(desk)
    await escalate(desk, "Wo gibt es im Quartier einen Bingo-Abend?", user_id=556, lang="de")
    alice = coordinator(desk)
    listing = texts(await desk.say(alice, "/inbox"))
    assert "#1" in listing and "#2" in listing and listing.index("#1") < listing.index("#2")
    history = texts(await desk.say(alice, "/case 1"))
    assert "Anfrage #1" in history and "laut" in history
    assert "geschlossen" in texts(await desk.say(alice, "/close 2"))
    stats = texts(await desk.say(alice, "/stats"))
    assert "Anfragen an die Koordination: 2" in stats
    assert "Benutzung" in texts(await desk.say(alice, "/case abc"))


async def test_in_a_group_that_is_not_the_desk_coordinator_commands_get_no_answer_at_all(desk):
    """Anyone could otherwise make the bot post refusals into any group it was added to."""
    stranger = desk.user(user_id=778, lang="de")
    for command in ("/inbox", "/case 1", "/stats"):
        calls = await desk.feed(desk.updates.text(stranger, command, chat_id=-100555))
        assert [c for c in calls if c.method.startswith("send")] == []


async def test_residents_get_a_polite_refusal_and_see_no_one_elses_data(desk):
    await escalate(desk, "mein nachbar ist zu laut", user_id=RESIDENT)
    stranger = desk.user(user_id=777, lang="de")
    for command in ("/inbox", "/case 1", "/close 1", "/stats"):
        calls = await desk.say(stranger, command)
        assert texts(calls).count("nur für die Quartierskoordination") == 1 or "nur für" in texts(
            calls
        )
        assert "laut" not in texts(calls)
    calls = await desk.press(stranger, "k:close:1")
    assert calls[0].params.get("show_alert") is True
    assert (await desk.runtime.cases.require(1)).status == "open"
    mine = texts(await desk.say(stranger, "/mydata"))
    assert "laut" not in mine


async def test_a_blocked_resident_marks_the_case_and_tells_the_coordinators(desk):
    await escalate(desk)
    await desk.deliver()
    desk.api.blocked.add(RESIDENT)
    reply_to = {
        "message_id": await desk.runtime.cases.first_post(1, GROUP),
        "date": 0,
        "chat": {"id": GROUP, "type": "supergroup"},
    }
    await desk.feed(
        desk.updates.text(coordinator(desk), "Hallo?", chat_id=GROUP, reply_to_message=reply_to)
    )
    first = await desk.deliver()
    case = await desk.runtime.cases.require(1)
    assert case.blocked
    notes = [c for c in sent(first, GROUP) if "blockiert" in c.text]
    assert notes


async def test_telegram_429_and_5xx_are_retried_with_backoff(desk):
    await escalate(desk)
    desk.api.faults.append(Fault("sendMessage", 429, "Too Many Requests", retry_after=1))
    desk.api.faults.append(Fault("sendMessage", 502, "Bad Gateway"))
    await desk.deliver()  # 429 (the rate limiter retries it), then 502: stays in the outbox
    assert await desk.runtime.cases.pending() == 1
    async with desk.runtime.db.connection.execute("SELECT attempts, last_error FROM outbox") as cur:
        attempts, error = await cur.fetchone()
    assert attempts == 1 and "Bad Gateway" in error
    await desk.runtime.db.write(("UPDATE outbox SET next_attempt_at = '2000-01-01'", ()))
    await desk.deliver()
    assert await desk.runtime.cases.pending() == 0
    assert backoff(0) == 1 and backoff(3) == 8 and backoff(20) == 300


async def test_a_restart_between_escalation_and_answer_loses_nothing(harness_for, hagen, tmp_path):
    first = await harness_for(hagen, coordinator_chat_id=GROUP)
    await escalate(first)
    # The bot stops before the case reached the coordinators.
    await first.runtime.close()
    await first.app.shutdown()

    second = await harness_for(hagen, coordinator_chat_id=GROUP)
    second.updates = UpdateFactory(start=1000)  # Telegram's update ids only grow
    posted = sent(await second.deliver(), GROUP)
    assert posted and "Anfrage #1" in posted[0].text
    reply_to = {
        "message_id": await second.runtime.cases.first_post(1, GROUP),
        "date": 0,
        "chat": {"id": GROUP, "type": "supergroup"},
    }
    await second.feed(
        second.updates.text(
            coordinator(second), "Antwort nach Neustart", chat_id=GROUP, reply_to_message=reply_to
        )
    )
    await second.runtime.close()
    await second.app.shutdown()

    third = await harness_for(hagen, coordinator_chat_id=GROUP)
    third.updates = UpdateFactory(start=2000)
    delivered = [c for c in await third.deliver() if c.chat_id == RESIDENT]
    assert len(delivered) == 1 and "Antwort nach Neustart" in delivered[0].text


async def test_the_same_updates_delivered_twice_open_one_case_and_relay_once(desk):
    resident = desk.user(user_id=RESIDENT)
    await desk.say(resident, "mein nachbar ist zu laut")
    await desk.press(resident, callback(ESCALATE, "ask"))
    yes = desk.updates.callback(resident, consent_button(desk.api, RESIDENT))
    pending = desk.app.user_data[RESIDENT]["pending"]
    await desk.feed(yes)
    # Replayed after a crash that happened before the update was marked as processed:
    await desk.runtime.db.write(("DELETE FROM processed_updates", ()))
    desk.app.user_data[RESIDENT]["pending"] = pending
    await desk.feed(yes)
    assert len(await desk.runtime.cases.open_cases()) == 1

    await desk.deliver()
    reply_to = {
        "message_id": await desk.runtime.cases.first_post(1, GROUP),
        "date": 0,
        "chat": {"id": GROUP, "type": "supergroup"},
    }
    answer = desk.updates.text(
        coordinator(desk), "Einmal bitte", chat_id=GROUP, reply_to_message=reply_to
    )
    await desk.feed(answer)
    await desk.runtime.db.write(("DELETE FROM processed_updates", ()))
    await desk.feed(answer)
    delivered = [c for c in await desk.deliver() if c.chat_id == RESIDENT]
    assert len(delivered) == 1


async def test_mydata_shows_the_residents_own_data_and_delete_anonymises_cases(desk):
    resident, _ = await escalate(desk, lang="de")
    data = texts(await desk.say(resident, "/mydata"))
    assert "Anfrage #1" in data or "#1" in data
    assert "laut" in data
    asked = texts(await desk.say(resident, "/delete"))
    assert "Anfrage #1 endet damit" in asked  # what the open case loses, said first
    assert not (await desk.runtime.cases.require(1)).anonymised  # nothing happened yet
    await desk.press(resident, "x:yes")
    case = await desk.runtime.cases.require(1)
    assert case.anonymised and case.resident_chat_id is None
    assert all(m.body is None for m in await desk.runtime.cases.messages(1))
    assert await desk.runtime.db.resident(RESIDENT) is None
    assert "keine Daten" in texts(await desk.say(resident, "/mydata"))
    assert (await desk.runtime.db.stats()).cases == 1  # still counted, anonymously


async def test_cases_past_the_retention_period_are_anonymised_by_the_daily_job(desk):
    await escalate(desk)
    assert await housekeeping(desk.runtime) == 0
    later = datetime.now(UTC) + timedelta(days=181)
    assert await housekeeping(desk.runtime, later) == 1
    case = await desk.runtime.cases.require(1)
    assert case.anonymised and case.resident_chat_id is None


async def test_coordinators_by_private_message_when_no_group_is_set(harness_for, hagen):
    h = await harness_for(hagen, coordinator_user_ids=(ALICE, 9002))
    await escalate(h)
    posted = await h.deliver()
    assert {c.chat_id for c in posted} >= {ALICE, 9002}
    reply_to = {
        "message_id": await h.runtime.cases.first_post(1, 9002),
        "date": 0,
        "chat": {"id": 9002, "type": "private"},
    }
    await h.feed(
        h.updates.text(
            coordinator(h, 9002, "Carla"), "Privat beantwortet", reply_to_message=reply_to
        )
    )
    delivered = [c for c in await h.deliver() if c.chat_id == RESIDENT]
    assert "Privat beantwortet" in delivered[0].text


async def test_export_and_stats_stay_anonymous(desk):
    await escalate(desk)
    for what in ("questions", "cases", "feedback"):
        header, rows = await desk.runtime.db.export_rows(what)
        dumped = json.dumps(rows)
        assert str(RESIDENT) not in dumped and "laut" not in dumped
        assert header


async def test_the_consent_is_asked_in_the_residents_own_language(desk):
    resident = desk.user(user_id=RESIDENT, lang="tr")
    calls = await desk.say(resident, "komşum her gece çok gürültü yapıyor")
    assert "Bir kişiye sor" in str([c.buttons for c in calls])
    consent = texts(await desk.press(resident, callback(ESCALATE, "ask")))
    assert "Sorunuz mahalle koordinatörüne iletilsin mi?" in consent
    assert "en fazla 180 gün" in consent and "kapatıldıktan sonra 30 gün" in consent
    confirm = texts(await desk.press(resident, consent_button(desk.api, RESIDENT)))
    assert "Talep numaranız #1" in confirm and "Pzt–Cum" in confirm


async def test_reload_takes_a_valid_directory_and_refuses_a_broken_one(harness_for, tiny_root):
    from bot.directory import load_directory

    h = await harness_for(
        load_directory(tiny_root), knowledge=tiny_root, coordinator_user_ids=(ALICE,)
    )
    (tiny_root / "services" / "extra.yaml").write_text(
        "id: extra\nname: {de: Neuer Eintrag}\ncategories: [food]\n"
        "keywords: {de: [kleiderkammer]}\nsource: https://example.org/x\nverified: 2026-11-01\n"
    )
    reply = texts(await h.say(coordinator(h), "/reload"))
    assert "3 Einträge" in reply
    assert "Neuer Eintrag" in texts(await h.say(h.user(), "kleiderkammer"))

    (tiny_root / "services" / "broken.yaml").write_text("id: broken\nname: {en: no german}\n")
    reply = texts(await h.say(coordinator(h), "/reload"))
    assert "nicht übernommen" in reply and "services/broken.yaml" in reply
    assert "Neuer Eintrag" in texts(await h.say(h.user(), "kleiderkammer"))  # the good one stays
    assert "nur für" in texts(await h.say(h.user(user_id=31), "/reload"))


async def test_a_suicidal_message_inside_an_open_case_comes_first_and_marks_it_urgent(desk):
    resident, _ = await escalate(desk, lang="de")
    await desk.deliver()
    calls = await desk.say(resident, "ich kann nicht mehr, ich will nicht mehr leben")
    said = [c.text for c in calls if c.method == "sendMessage"]
    assert "112" in said[0] and "110" in said[0]  # the banner first
    assert "TelefonSeelsorge" in said[1]
    assert "#1" in said[-1]  # then: added to the case
    case = await desk.runtime.cases.case(1)
    assert case.priority == "high"
    posted = texts(sent(await desk.deliver(), GROUP))
    assert "🚨" in posted and "dringender Nachtrag" in posted and "Suizidgedanken" in posted


async def test_high_priority_comes_only_from_a_danger_signal(desk):
    resident = desk.user(user_id=RESIDENT, lang="de")
    await desk.say(resident, "mein nachbar ist immer so laut")
    # Whatever the guesses were, an urgent directory entry among them is no danger signal.
    memory = desk.app.user_data[RESIDENT]
    memory["pending"] = dataclasses.replace(
        memory["pending"], guesses=["polizei-110", "notruf-112"]
    )
    await desk.press(resident, callback(ESCALATE, "ask"))
    await desk.press(resident, consent_button(desk.api, RESIDENT))
    assert (await desk.runtime.cases.case(1)).priority == "normal"


async def test_a_danger_signal_before_asking_a_person_opens_an_urgent_case(desk):
    resident = desk.user(user_id=RESIDENT, lang="de")
    calls = await desk.say(resident, "mein mann schlägt mich und ich weiß nicht wohin")
    assert "112" in texts(calls).splitlines()[0]
    await desk.press(resident, callback(ESCALATE, "ask"))
    await desk.press(resident, consent_button(desk.api, RESIDENT))
    case = await desk.runtime.cases.case(1)
    assert case is not None and case.priority == "high"
    assert "🚨 dringend" in texts(sent(await desk.deliver(), GROUP))


async def test_a_photo_caption_is_read_for_danger(desk):
    resident = desk.user(user_id=RESIDENT, lang="de")
    calls = await desk.feed(desk.updates.photo(resident, caption="ich will mich umbringen"))
    said = [c.text for c in calls if c.method == "sendMessage"]
    assert "112" in said[0] and any("TelefonSeelsorge" in s for s in said)
    assert "nur Text" in said[-1] or "Text" in said[-1]
    calls = await desk.feed(desk.updates.photo(resident, caption="mein Brief vom Amt"))
    assert "112" not in texts(calls)


async def test_without_a_coordinator_a_case_post_waits_and_is_posted_once_one_is_set(
    harness_for, hagen, tmp_path
):
    h = await harness_for(hagen)  # `lotse chat`: the desk is `lotse inbox`
    await escalate(h)
    assert not [c for c in await h.deliver() if c.method == "sendMessage"]
    waiting = await h.runtime.cases.due("9999")
    assert [(i.target, i.case.id) for i in waiting] == [("coordinators", 1)]
    # The same database under a bot with a coordinator group: the case is posted after all.
    await h.runtime.close()
    await h.app.shutdown()
    later = await harness_for(hagen, coordinator_chat_id=GROUP)
    for item in await later.runtime.cases.due("9999"):
        await courier_of(later.app)._deliver(later.app.bot, item)
    assert any("Anfrage #1" in c.text for c in sent(later.api.calls, GROUP))


async def test_consent_counts_only_for_the_question_it_quoted(desk):
    resident = desk.user(user_id=RESIDENT, lang="de")
    await desk.say(resident, "Mein Nachbar ist immer so laut")
    await desk.press(resident, callback(ESCALATE, "ask"))
    shown = consent_button(desk.api, RESIDENT)  # under «Mein Nachbar ist immer so laut»
    await desk.say(resident, "ich habe seit Tagen Bauchschmerzen und Fieber")
    calls = await desk.press(resident, shown)
    assert "Bitte schreiben Sie zuerst Ihre Frage" in texts(calls)
    assert await desk.runtime.cases.open_cases() == []
    # A forged token is no better.
    await desk.press(resident, callback(ESCALATE, "yes", "0000beef"))
    assert await desk.runtime.cases.open_cases() == []


async def forget_handled(desk, update: dict) -> None:
    """As if the crash came before the update was marked handled."""
    sql = "DELETE FROM processed_updates WHERE update_id = ?"
    await desk.runtime.db.write((sql, (update["update_id"],)))


async def test_a_consent_handled_again_after_a_crash_tells_the_case_it_opened(desk):
    """A crash between committing the case and telling the resident: the journal hands the same
    press to the restarted bot, whose memory of the question is gone. The case is safe, so the
    resident hears its number, not "write your question first"; a follow-up likewise."""
    resident = desk.user(user_id=RESIDENT, lang="de")
    await desk.say(resident, "Mein Nachbar ist immer so laut")
    await desk.press(resident, callback(ESCALATE, "ask"))
    press = desk.updates.callback(resident, consent_button(desk.api, RESIDENT))
    await desk.feed(press)
    desk.app.user_data[RESIDENT].clear()  # the restart: memory is gone, the journal is not
    await forget_handled(desk, press)
    calls = await desk.feed(press)
    assert "Ihre Anfragenummer ist #1" in texts(calls)
    assert "zuerst Ihre Frage" not in texts(calls)
    assert len(await desk.runtime.cases.open_cases()) == 1

    offered = await desk.say(resident, "Es ist jede Nacht bis drei Uhr laut")
    add = [d for d in button_data(offered) if d.startswith("c:yes:")][-1]
    press = desk.updates.callback(resident, add)
    await desk.feed(press)
    desk.app.user_data[RESIDENT].clear()
    await forget_handled(desk, press)
    calls = await desk.feed(press)
    assert "Zu Ihrer Anfrage #1 hinzugefügt" in texts(calls)
    case = (await desk.runtime.cases.open_cases())[0]
    bodies = [m.body for m in await desk.runtime.cases.messages(case.id)]
    assert bodies.count("Es ist jede Nacht bis drei Uhr laut") == 1
    # Another resident's press under the same update id learns nothing of the case.
    other = desk.user(user_id=RESIDENT + 1, lang="de")
    forged = desk.updates.callback(other, add)
    forged["update_id"] = press["update_id"]
    await forget_handled(desk, forged)
    assert "#1" not in texts(await desk.feed(forged))


async def test_a_question_waiting_for_consent_is_forgotten_after_half_an_hour(desk, monkeypatch):
    from bot import resident as resident_module

    resident = desk.user(user_id=RESIDENT, lang="de")
    await desk.say(resident, "Mein Nachbar ist immer so laut")
    await desk.press(resident, callback(ESCALATE, "ask"))
    yes = consent_button(desk.api, RESIDENT)
    later = resident_module.clock() + resident_module.PENDING_SECONDS + 1
    monkeypatch.setattr(resident_module, "clock", lambda: later)
    assert resident_module.forget_stale_questions(desk.app.user_data) == 1
    assert "pending" not in desk.app.user_data[RESIDENT]
    assert "Bitte schreiben Sie zuerst Ihre Frage" in texts(await desk.press(resident, yes))
    assert await desk.runtime.cases.open_cases() == []


async def test_after_moving_to_a_new_forum_group_topics_are_told_apart_by_group(harness_for, hagen):
    """Topic ids start again in every group: case #1's topic 100 in the old group is not case
    #2's topic 100 in the new one."""
    api = LocalBotApi(forums={GROUP, -1009999})
    old = await harness_for(hagen, api=api, coordinator_chat_id=GROUP)
    first, _ = await escalate(old, user_id=RESIDENT, lang="de")
    await old.deliver()
    new_group = -1009999
    new = await harness_for(hagen, api=api, coordinator_chat_id=new_group)
    new.updates = UpdateFactory(1000)  # Telegram's update ids go on
    await escalate(new, "Wo gibt es im Quartier einen Bingo-Abend?", user_id=556, lang="de")
    await new.deliver()
    case_one, case_two = await new.runtime.cases.require(1), await new.runtime.cases.require(2)
    assert case_one.thread_id == case_two.thread_id == 100  # the same number, other groups

    await new.add(first, "Meine Telefonnummer ist 0171 2345678")
    posts = [c for c in await new.deliver() if c.chat_id == new_group]
    assert posts and all(c.params.get("message_thread_id") != 100 for c in posts)
    in_topic = new.updates.text(
        coordinator(new),
        "Antwort für Bingo",
        chat_id=new_group,
        message_thread_id=100,
        is_topic_message=True,
    )
    await new.feed(in_topic)
    delivered = await new.deliver()
    assert any("Antwort für Bingo" in c.text for c in delivered if c.chat_id == 556)
    assert not any("Antwort für Bingo" in c.text for c in delivered if c.chat_id == RESIDENT)


async def test_after_yes_the_consent_buttons_are_gone_and_a_late_no_says_nothing_false(desk):
    resident = desk.user(user_id=RESIDENT, lang="de")
    await desk.say(resident, "Mein Nachbar ist immer so laut")
    await desk.press(resident, callback(ESCALATE, "ask"))
    yes, no = consent_button(desk.api, RESIDENT), consent_button(desk.api, RESIDENT, "no")
    calls = await desk.press(resident, yes)
    assert any(c.method == "editMessageReplyMarkup" for c in calls)
    late = texts(await desk.press(resident, no))  # an old client, or a double tap
    assert "nichts gespeichert" not in late and len(await desk.runtime.cases.open_cases()) == 1


async def test_mydata_writes_dates_the_residents_way_not_iso(desk):
    from babel.dates import format_date

    resident, _ = await escalate(desk, lang="de")
    today = desk.runtime.now().date()
    shown = texts(await desk.say(resident, "/mydata"))
    assert format_date(today, format="medium", locale="de") in shown
    assert today.isoformat() not in shown


async def test_inbox_shows_urgent_cases_first_marked_and_in_local_time(desk):
    from bot.desk import DESK_TIME

    await escalate(desk, "Wo gibt es im Quartier einen Bingo-Abend?", user_id=556, lang="de")
    resident = desk.user(user_id=RESIDENT, lang="de")
    await desk.say(resident, "mein mann schlägt mich und ich weiß nicht wohin")
    await desk.press(resident, callback(ESCALATE, "ask"))
    await desk.press(resident, consent_button(desk.api, RESIDENT))
    listing = texts(await desk.say(coordinator(desk), "/inbox"))
    assert listing.index("🚨 #2") < listing.index("#1 ·")
    local = datetime.now(UTC).astimezone(DESK_TIME).strftime("%d.%m.%Y")
    assert local in listing and "UTC" not in listing
