"""The translation bridge against a local LibreTranslate stand-in over real HTTP: the desk
reads German under the resident's words, the resident reads the answer in their language with
the German original; a failing server holds nothing up."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from conftest import button_data, texts
from test_inbox import ALICE, GROUP, RESIDENT, coordinator, sent

from bot.cards import ESCALATE, callback


class StandIn(BaseHTTPRequestHandler):
    """Answers POST /translate like LibreTranslate: '[target] text'; 'kaputt' fails."""

    seen: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        StandIn.seen.append(body)
        if self.path != "/translate" or "kaputt" in body["q"]:
            self.send_response(500)
            self.end_headers()
            return
        answer = json.dumps({"translatedText": f"[{body['target']}] {body['q']}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def libretranslate() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    StandIn.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


async def ask(h, text: str, lang: str = "uk"):
    resident = h.user(user_id=RESIDENT, lang=lang)
    await h.say(resident, text)
    calls = await h.press(resident, callback(ESCALATE, "ask"))
    data = next(d for d in button_data(calls) if d.startswith("c:yes:"))
    await h.press(resident, data)
    return resident


async def test_both_sides_read_their_own_language(harness_for, hagen, libretranslate):
    h = await harness_for(
        hagen,
        coordinator_chat_id=GROUP,
        coordinator_user_ids=(ALICE,),
        translate_url=libretranslate,
    )
    await ask(h, "Сусід дуже шумить щоночі, що робити?")
    post = sent(await h.deliver(), GROUP)[0]
    assert "[de] Сусід дуже шумить" in post.text and "maschinell übersetzt" in post.text
    answer = h.updates.text(
        coordinator(h),
        "Sprechen Sie mit dem Vermieter.",
        chat_id=GROUP,
        reply_to_message=post.result,
    )
    await h.feed(answer)
    to_resident = texts([c for c in await h.deliver() if c.chat_id == RESIDENT])
    assert "[uk] Sprechen Sie mit dem Vermieter." in to_resident
    assert "Машинний переклад" in to_resident
    assert to_resident.rstrip().endswith("Sprechen Sie mit dem Vermieter.")  # the original
    assert {"source": "uk", "target": "de"}.items() <= StandIn.seen[0].items()


async def test_a_failing_translation_server_holds_nothing_up(harness_for, hagen, libretranslate):
    h = await harness_for(hagen, coordinator_chat_id=GROUP, translate_url=libretranslate)
    await ask(h, "kaputt: Сусід дуже шумить щоночі")
    post = sent(await h.deliver(), GROUP)[0]
    assert "Сусід" in post.text and "maschinell" not in post.text


async def test_without_the_setting_nothing_is_sent_anywhere(harness_for, hagen, libretranslate):
    h = await harness_for(hagen, coordinator_chat_id=GROUP)
    await ask(h, "Сусід дуже шумить щоночі, що робити?")
    post = sent(await h.deliver(), GROUP)[0]
    assert "maschinell" not in post.text and StandIn.seen == []


async def test_a_german_speaking_resident_is_not_translated(harness_for, hagen, libretranslate):
    h = await harness_for(hagen, coordinator_chat_id=GROUP, translate_url=libretranslate)
    await ask(h, "Mein Nachbar ist jede Nacht laut, was kann ich tun?", lang="de")
    post = sent(await h.deliver(), GROUP)[0]
    assert "maschinell" not in post.text and StandIn.seen == []


async def test_privacy_names_the_translation_server_only_when_there_is_one(
    harness_for, hagen, libretranslate
):
    resident = {"id": RESIDENT, "is_bot": False, "first_name": "R", "language_code": "de"}
    with_bridge = await harness_for(hagen, translate_url=libretranslate)
    assert "Übersetzungsserver" in texts(await with_bridge.say(resident, "/privacy"))
