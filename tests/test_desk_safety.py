"""The coordinator desk cannot be tricked: answers reach the resident whose case it is, residents'
words cannot pass for the bot's own lines, and desk commands work only in the desk.
Real Application, real SQLite, local Bot API."""

from __future__ import annotations

import itertools

import pytest
from conftest import texts
from test_inbox import ALICE, GROUP, RESIDENT, coordinator, escalate, sent

from bot.limits import Limiter
from bot.localapi import BOT_USER

OTHER = 556


@pytest.fixture
async def desk(harness_for, hagen):
    """Bot with a coordinator group in reply mode, and Alice listed as a coordinator."""
    return await harness_for(hagen, coordinator_chat_id=GROUP, coordinator_user_ids=(ALICE,))


def reply_to(h, post_id: int, text: str, *, post_text: str = "", entities=None):
    """A coordinator's reply in the group to one of the bot's messages."""
    original = {
        "message_id": post_id,
        "date": 0,
        "chat": {"id": GROUP, "type": "supergroup"},
        "from": BOT_USER,
        "text": post_text,
    }
    if entities:
        original["entities"] = entities
    return h.updates.text(coordinator(h), text, chat_id=GROUP, reply_to_message=original)


async def test_a_reply_to_any_part_of_a_split_post_reaches_that_case(desk):
    await escalate(desk, "Mein Nachbar ist immer so laut, was kann ich tun?", user_id=RESIDENT)
    sent(await desk.deliver(), GROUP)
    # Escaping makes every "&" five characters long: the post of case #2 is split, and one
    # part begins with the resident's own words, which name case #1.
    await escalate(desk, "Anfrage #1 " + "& " * 1700, user_id=OTHER, lang="de")
    parts = [c for c in sent(await desk.deliver(), GROUP)]
    assert len(parts) >= 3
    middle = parts[1]
    assert "Anfrage #1" in middle.text.split("\n")[0] and "Anfrage #2" not in middle.text
    await desk.feed(reply_to(desk, middle.result["message_id"], "Antwort für #2"))
    delivered = await desk.deliver()
    assert [c.chat_id for c in delivered if "Antwort für #2" in c.text] == [OTHER]


async def test_an_unrecorded_post_is_read_only_by_its_bold_header(desk):
    await escalate(desk, user_id=RESIDENT)
    await escalate(desk, "Wo gibt es im Quartier einen Bingo-Abend?", user_id=OTHER, lang="de")
    await desk.deliver()
    # Not recorded (the bot died right after sending): a part made of the resident's words.
    forged = "┃ Anfrage #1 bitte antworten"
    calls = await desk.feed(reply_to(desk, 99_001, "Antwort", post_text=forged))
    assert "Nicht weitergeleitet" in texts(calls)
    # The bot's own header is bold: that names the case.
    header = "📨 Anfrage #2 · Deutsch · offen"
    bold = [{"type": "bold", "offset": 3, "length": len("Anfrage #2")}]
    await desk.feed(reply_to(desk, 99_002, "Hier die Antwort", post_text=header, entities=bold))
    delivered = await desk.deliver()
    assert [c.chat_id for c in delivered if "Hier die Antwort" in c.text] == [OTHER]
    assert not [c for c in delivered if c.chat_id == RESIDENT]


async def test_residents_words_cannot_forge_lines_of_a_case_post(desk):
    forged = (
        "Mein Nachbar ist laut\n\nVermutungen des Bots:\n• Beratung – Anruf 0171 1234567\n"
        "\u202eAnfrage #9\u202c \u2066x\u2069"
    )
    await escalate(desk, forged, user_id=RESIDENT, lang="de")
    post = sent(await desk.deliver(), GROUP)[0].text
    lines = post.split("\n")
    # The resident's lines are quoted; the bot may add its own (real) guesses once.
    assert "┃ Vermutungen des Bots:" in lines and lines.count("Vermutungen des Bots:") <= 1
    assert "┃ • Beratung – Anruf 0171 1234567" in lines
    assert "• Beratung – Anruf 0171 1234567" not in lines
    assert not any(ch in post for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    history = texts(await desk.say(coordinator(desk), "/case 1"))
    assert "┃ Vermutungen des Bots:" in history and "\u202e" not in history


async def test_desk_commands_and_buttons_work_only_in_the_desk(desk):
    await escalate(desk, "mein nachbar ist zu laut", user_id=RESIDENT)
    alice = coordinator(desk)
    family_group = -100777
    for command in ("/inbox", "/case 1", "/stats"):
        calls = await desk.feed(desk.updates.text(alice, command, chat_id=family_group))
        assert "laut" not in texts(calls) and "Anfrage #1" not in texts(calls)
    # In her own private chat, and in the group, she works as before.
    assert "laut" in texts(await desk.say(alice, "/case 1"))
    group_call = await desk.feed(desk.updates.text(alice, "/case 1", chat_id=GROUP))
    assert "laut" in texts(group_call)
    # A reply in the family group to a case post is not relayed.
    post_id = await desk.runtime.cases.first_post(1, GROUP)
    original = {"message_id": post_id, "date": 0, "chat": {"id": family_group, "type": "group"}}
    await desk.feed(
        desk.updates.text(alice, "geheim", chat_id=family_group, reply_to_message=original)
    )
    assert not [c for c in await desk.deliver() if "geheim" in c.text]


async def test_a_button_without_a_message_is_answered_not_crashed(desk):
    await escalate(desk, user_id=RESIDENT)
    for data in ("k:close:1", "e:1:notruf-112", "c:yes", "m:root"):
        update = desk.updates.callback(desk.user(user_id=RESIDENT), data)
        update["callback_query"].pop("message")
        update["callback_query"]["inline_message_id"] = "inline-1"
        calls = await desk.feed(update)
        assert [c.method for c in calls if c.method == "answerCallbackQuery"], data
    assert (await desk.runtime.cases.require(1)).status == "open"


async def test_case_and_mydata_stay_short_however_long_the_case(desk):
    resident, _ = await escalate(desk, user_id=RESIDENT, lang="de")
    desk.runtime.messages_limit = Limiter(1000)  # a long case, written over weeks
    desk.runtime.buttons_limit = Limiter(1000)
    for number in range(30):
        await desk.add(resident, f"Nachtrag {number}: " + "sehr lange Geschichte " * 150)
    history = await desk.say(coordinator(desk), "/case 1")
    assert len([c for c in history if c.method == "sendMessage"]) <= 2
    assert "21 frühere Nachrichten nicht gezeigt" in texts(history)
    assert "lotse inbox show 1" in texts(history)
    mine = await desk.say(resident, "/mydata")
    messages = [c for c in mine if c.method == "sendMessage"]
    documents = [c for c in mine if c.method == "sendDocument"]
    assert len(messages) == 1 and len(documents) == 1
    assert "Hier stehen die neuesten 12 von 31 Einträgen" in messages[0].text


async def test_a_flooding_resident_is_told_once_and_emergencies_still_get_through(desk):
    flooder, other = desk.user(user_id=RESIDENT), desk.user(user_id=OTHER)
    answered = []
    for number in range(14):
        answered.append(texts(await desk.say(flooder, f"deutschkurs {number}")))
    assert all("Volkshochschule" in a for a in answered[:10])
    assert "Bitte warten Sie eine Minute" in answered[10]
    assert answered[11:] == ["", "", ""]  # told once, then quiet
    # An emergency is never rate-limited.
    assert "112" in texts(await desk.say(flooder, "ich will mich umbringen"))
    # Nobody else is affected.
    assert "Volkshochschule" in texts(await desk.say(other, "deutschkurs"))


def test_the_limit_counts_per_resident_and_forgives_after_a_minute():
    now = [0.0]
    limit = Limiter(3, window_seconds=60, clock=lambda: now[0])
    assert [limit.check(1).value for _ in range(5)] == ["ok", "ok", "ok", "tell", "quiet"]
    assert limit.check(2).value == "ok"
    now[0] = 61.0
    assert limit.check(1).value == "ok"


def test_the_allowance_refills_steadily_and_a_steady_flood_is_told_once_a_minute():
    now = [0.0]
    limit = Limiter(10, window_seconds=60, clock=lambda: now[0])
    verdicts = []
    for _ in range(600):  # a message every 0.2 s for two minutes
        verdicts.append(limit.check(1).value)
        now[0] += 0.2
    assert verdicts[:10] == ["ok"] * 10
    # Then one answer every 6 s, not ten at the start of every minute.
    assert 10 + 19 <= verdicts.count("ok") <= 10 + 20
    answered_at = [i * 0.2 for i, v in enumerate(verdicts) if v == "ok"][10:]
    assert all(5.6 <= b - a <= 6.4 for a, b in itertools.pairwise(answered_at))
    assert verdicts.count("tell") == 2  # at 2 s and once more a minute later


async def test_follow_ups_waiting_together_go_out_as_one_post(desk):
    resident, _ = await escalate(desk, user_id=RESIDENT, lang="de")
    await desk.deliver()  # the case post
    for number in range(8):
        await desk.add(resident, f"Nachtrag Nummer {number}")
    posts = sent(await desk.deliver(), GROUP)
    assert len(posts) == 1 and "8 Nachträge" in posts[0].text
    assert all(f"┃ Nachtrag Nummer {n}" in posts[0].text for n in range(8))
    assert await desk.runtime.cases.due("9999") == []


async def test_one_case_with_many_waiting_items_does_not_hold_up_another(desk):
    resident, _ = await escalate(desk, user_id=RESIDENT, lang="de")
    desk.runtime.messages_limit = Limiter(1000)
    for number in range(30):
        # urgent follow-ups are never merged: thirty posts waiting for case #1
        await desk.say(resident, f"ich will mich umbringen ({number})")
    await escalate(desk, "Wo gibt es im Quartier einen Bingo-Abend?", user_id=OTHER, lang="de")
    first = await desk.runtime.cases.due("9999", limit=2)
    assert {(i.case.id, i.message.kind) for i in first} == {(1, "question"), (2, "question")}


async def test_spam_pauses_a_resident_until_a_coordinator_lifts_it(desk):
    from bot.cards import ESCALATE, callback

    resident, _ = await escalate(desk, user_id=RESIDENT, lang="de")
    calls = await desk.press(coordinator(desk), "k:spam:1")
    assert "30 Tage lang nicht weitergeleitet" in texts(calls) and "/unblock 1" in texts(calls)
    # The resident still gets answers and emergency numbers, but no new case.
    assert "Volkshochschule" in texts(await desk.say(resident, "deutschkurs"))
    await desk.say(resident, "Mein Nachbar ist immer so laut, was kann ich tun?")
    paused = texts(await desk.press(resident, callback(ESCALATE, "ask")))
    assert "pausiert" in paused and "112" in paused
    assert len(await desk.runtime.cases.open_cases()) == 0
    assert "pausiert" in texts(await desk.say(resident, "/mydata"))
    # Lifted: a new case can be opened again.
    assert "wieder weitergeleitet" in texts(await desk.say(coordinator(desk), "/unblock 1"))
    await escalate(desk, user_id=RESIDENT, lang="de")
    assert len(await desk.runtime.cases.open_cases()) == 1


async def test_delete_also_ends_a_pause(desk):
    resident, _ = await escalate(desk, user_id=RESIDENT, lang="de")
    await desk.say(coordinator(desk), "/block 1")
    assert await desk.runtime.db.paused_until(RESIDENT)
    await desk.say(resident, "/delete")
    await desk.press(resident, "x:yes")
    assert await desk.runtime.db.paused_until(RESIDENT) is None
