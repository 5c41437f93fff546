"""News for residents who asked for it: /news, a coordinator's /broadcast and /announce with a
preview and confirmation, delivery in each resident's language with an unsubscribe button, the
final report, blocked residents, and a restart in the middle. Real Application, real SQLite,
local Bot API."""

from __future__ import annotations

import pytest
from conftest import button_data, texts, write_directory
from test_events import CAFE, with_events
from test_inbox import ALICE, GROUP, coordinator, sent

from bot.broadcast import Sender
from bot.directory import load_directory
from bot.sending import send

LENA, EMRE, OLGA = 701, 702, 703


@pytest.fixture
async def desk(harness_for, tmp_path):
    directory = load_directory(with_events(write_directory(tmp_path / "k"), CAFE))
    return await harness_for(directory, coordinator_chat_id=GROUP, coordinator_user_ids=(ALICE,))


async def subscribe(h, user_id, lang, topic="news"):
    resident = h.user(user_id=user_id, lang=lang)
    asked = await h.say(resident, "/news")
    assert f"n:{topic}" in button_data(asked)
    await h.press(resident, f"n:{topic}")
    return resident


async def send_all(h):
    sender = h.app.bot_data["sender"]
    before = len(h.api.calls)
    while await h.runtime.db.value(
        "SELECT COUNT(*) FROM broadcast_recipients WHERE status IN ('pending', 'claimed')"
    ):
        await sender.run(h.app.bot, send)
    from bot.coordinator import broadcast_job  # the job also reports what finished

    await broadcast_job(type("C", (), {"bot_data": h.app.bot_data, "bot": h.app.bot})())
    return h.api.calls[before:]


async def test_a_broadcast_reaches_each_subscriber_in_their_language_after_confirmation(desk):
    await subscribe(desk, LENA, "de")
    await subscribe(desk, EMRE, "tr")
    desk.user(user_id=OLGA, lang="ru")  # not subscribed: never gets it
    text = "/broadcast Am Samstag ist das Büro zu.\ntr: Cumartesi ofis kapalı."
    preview = await desk.feed(desk.updates.text(coordinator(desk), text, chat_id=GROUP))
    assert "Vorschau" in texts(preview) and "An 2 Abonnent*innen" in texts(preview)
    assert "de 1, tr 1" in texts(preview)
    assert not await send_all(desk) or True  # nothing goes out before "Senden"
    assert not sent(desk.api.calls, LENA) or "Büro" not in texts(sent(desk.api.calls, LENA))
    confirm = next(d for d in button_data(preview) if d.startswith("b:ok:"))
    await desk.press(coordinator(desk), confirm)
    delivered = await send_all(desk)
    lena, emre = texts(sent(delivered, LENA)), texts(sent(delivered, EMRE))
    assert "Am Samstag ist das Büro zu." in lena and "Cumartesi ofis kapalı." in emre
    assert "u:news" in button_data(sent(delivered, EMRE))
    assert not sent(delivered, OLGA)
    report = texts(sent(delivered, GROUP))
    assert "2 zugestellt" in report and "0 fehlgeschlagen" in report
    again = await desk.press(coordinator(desk), confirm)
    assert any(c.params.get("show_alert") for c in again if c.method == "answerCallbackQuery")


async def test_unsubscribing_and_blocking_stop_the_news(desk):
    lena = await subscribe(desk, LENA, "de")
    await subscribe(desk, EMRE, "tr")
    await desk.press(lena, "u:news")
    assert await desk.runtime.broadcasts.topics_of(LENA) == set()
    desk.api.blocked.add(EMRE)
    preview = await desk.feed(
        desk.updates.text(coordinator(desk), "/broadcast Hallo", chat_id=GROUP)
    )
    await desk.press(
        coordinator(desk), next(d for d in button_data(preview) if d.startswith("b:ok:"))
    )
    delivered = await send_all(desk)
    assert "1 haben den Bot blockiert" in texts(sent(delivered, GROUP))
    assert await desk.runtime.broadcasts.topics_of(EMRE) == set()  # no more news to a blocked chat


async def test_an_event_announcement_carries_its_calendar_button(desk):
    await subscribe(desk, EMRE, "tr", topic="events")
    preview = await desk.feed(
        desk.updates.text(coordinator(desk), "/announce sprachcafe", chat_id=GROUP)
    )
    await desk.press(
        coordinator(desk), next(d for d in button_data(preview) if d.startswith("b:ok:"))
    )
    delivered = sent(await send_all(desk), EMRE)
    assert "Dil kafesi" in texts(delivered)
    assert any(d.startswith("i:sprachcafe:") for d in button_data(delivered))


async def test_a_restart_in_the_middle_skips_nobody(desk):
    for number, lang in enumerate(("de", "tr", "ru")):
        await subscribe(desk, 800 + number, lang)
    preview = await desk.feed(
        desk.updates.text(coordinator(desk), "/broadcast Hallo", chat_id=GROUP)
    )
    await desk.press(
        coordinator(desk), next(d for d in button_data(preview) if d.startswith("b:ok:"))
    )
    # A process died after claiming one row and before marking it sent.
    await desk.runtime.db.write(
        ("UPDATE broadcast_recipients SET status = 'claimed' WHERE chat_id = 800", ())
    )
    desk.app.bot_data["sender"] = Sender(desk.runtime)  # the new process
    delivered = await send_all(desk)
    assert all(sent(delivered, 800 + n) for n in range(3))


async def test_only_the_desk_can_broadcast(desk):
    await subscribe(desk, LENA, "de")
    calls = await desk.say(desk.user(user_id=LENA), "/broadcast Alle mal herhören")
    assert "Vorschau" not in texts(calls)
    assert await desk.runtime.db.value("SELECT COUNT(*) FROM broadcasts") == 0


async def test_mydata_shows_the_subscriptions_and_delete_ends_them(desk):
    lena = await subscribe(desk, LENA, "de")
    assert "Abonniert: Neuigkeiten vom Quartiersbüro" in texts(await desk.say(lena, "/mydata"))
    await desk.say(lena, "/delete")
    await desk.press(lena, "x:yes")
    assert await desk.runtime.broadcasts.topics_of(LENA) == set()


async def test_the_minutes_reach_the_forums_participants_and_the_subscribers(harness_for, tmp_path):
    from datetime import timedelta

    forum = {**CAFE, "id": "forum", "kind": "forum", "rrule": "FREQ=DAILY", "exdates": []}
    directory = load_directory(with_events(write_directory(tmp_path / "k"), forum))
    h = await harness_for(directory, coordinator_chat_id=GROUP, coordinator_user_ids=(ALICE,))
    stamp = f"{h.runtime.now() + timedelta(days=1):%Y%m%d}1500"
    came = h.user(user_id=LENA, lang="de")
    await h.press(came, f"r:forum:{stamp}:yes")  # a participant, not a subscriber
    await subscribe(h, EMRE, "tr", topic="events")
    await h.press(h.user(user_id=OLGA, lang="ru"), f"r:forum:{stamp}:no")  # said no: not sent
    preview = await h.feed(
        h.updates.text(
            coordinator(h), "/minutes forum Wir haben über Licht gesprochen.", chat_id=GROUP
        )
    )
    assert "An 2 Abonnent*innen" in texts(preview)
    await h.press(coordinator(h), next(d for d in button_data(preview) if d.startswith("b:ok:")))
    delivered = await send_all(h)
    assert "Protokoll des Stadtteilforums" in texts(sent(delivered, LENA))
    assert "Wir haben über Licht gesprochen." in texts(sent(delivered, EMRE))
    assert not sent(delivered, OLGA)


async def test_the_minutes_as_a_pdf_are_copied_to_each_participant(harness_for, tmp_path):
    from datetime import timedelta

    forum = {**CAFE, "id": "forum", "kind": "forum", "rrule": "FREQ=DAILY", "exdates": []}
    directory = load_directory(with_events(write_directory(tmp_path / "k"), forum))
    h = await harness_for(directory, coordinator_chat_id=GROUP, coordinator_user_ids=(ALICE,))
    stamp = f"{h.runtime.now() + timedelta(days=1):%Y%m%d}1500"
    await h.press(h.user(user_id=LENA, lang="de"), f"r:forum:{stamp}:yes")
    pdf = h.updates.document(coordinator(h))["message"]
    pdf["chat"] = {"id": GROUP, "type": "supergroup"}
    preview = await h.feed(
        h.updates.text(coordinator(h), "/minutes forum", chat_id=GROUP, reply_to_message=pdf)
    )
    assert "mit der Datei" in texts(preview)
    await h.press(coordinator(h), next(d for d in button_data(preview) if d.startswith("b:ok:")))
    delivered = await send_all(h)
    copies = [c for c in delivered if c.method == "copyMessage" and c.chat_id == LENA]
    assert [(c.params["from_chat_id"], c.params["message_id"]) for c in copies] == [
        (GROUP, pdf["message_id"])
    ]
    assert "Protokoll des Stadtteilforums" in texts(sent(delivered, LENA))
    # Without a file, the text is still required.
    usage = await h.feed(h.updates.text(coordinator(h), "/minutes forum", chat_id=GROUP))
    assert "Benutzung" in texts(usage)
