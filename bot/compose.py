"""What the bot says to a question, as a list of replies: decided here, sent by the handler.

With a danger signal the emergency banner always comes first, then that signal's lines, and only
then the rest of the answer; inside an open case the handler sends `emergency_replies` before it
stores the message and says that it joined the case.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from . import replies
from .cards import Reply, render_answer, render_card
from .directory import Directory, Service
from .i18n import Translator
from .matching import ANSWER_MIN, Result
from .outgoing import URGENT

MAX_CARDS = 3


def _services(ids: list[str], directory: Directory) -> list[Service]:
    """The directory's services of these ids, each once, in order; unknown ids left out."""
    return [s for i in dict.fromkeys(ids) if (s := directory.service(i)) is not None]


def _cards(ids: list[str], directory: Directory, t: Translator, now: datetime) -> list[Reply]:
    return [render_card(s, directory, t, now) for s in _services(ids, directory)]


def emergency_replies(
    result: Result, directory: Directory, t: Translator, now: datetime
) -> list[Reply]:
    """The banner and the lines for the signals raised; nothing without a signal."""
    if not result.danger:
        return []
    lines = [m.service_id for m in result.emergencies]
    said = [replies.emergency_banner(t), *_cards(lines, directory, t, now)]
    return [replace(reply, priority=URGENT) for reply in said]


def answer(result: Result, directory: Directory, t: Translator, now: datetime) -> list[Reply]:
    """The replies to a question asked outside an open case."""
    if result.danger:
        # After the emergency numbers, the place the resident asked for, if one fits well.
        lines = {m.service_id for m in result.emergencies}
        places = [
            m.service_id
            for m in result.matches
            if m.service_id not in lines and not m.urgent and m.score >= ANSWER_MIN
        ]
        return emergency_replies(result, directory, t, now) + _cards(places[:1], directory, t, now)
    if result.decision == "greeting":
        return [replies.you_are_welcome(t) if result.thanks else replies.greeting(t)]
    if result.decision == "answer" and result.matches:
        top = result.matches[0].score
        shown = [m.service_id for m in result.matches if m.score >= top - 10][:MAX_CARDS]
        services = _services(shown, directory)
        return [render_answer(services, directory, t, now)] if services else []
    if result.decision == "suggest":
        return [replies.suggestions(result.matches, directory, t)]
    return [replies.not_found(t)]
