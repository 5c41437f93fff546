"""What the bot says in each step of a resident's conversation, as data. Pure, no Telegram."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .cards import (
    AREA,
    CLOSE,
    DELETE,
    ESCALATE,
    LANGUAGE,
    MENU,
    NEWS,
    SHOW,
    TOPIC,
    Button,
    Keyboard,
    Reply,
    callback,
    esc,
    service_title,
)
from .directory import LANGUAGES, Directory, Service, pick
from .i18n import Translator, distance_text, own_name
from .matching import Match

NEAREST_COUNT = 5
NEAR_METERS = 25_000  # farther than this is not "near you" (Hagen is about 20 km across)


def _rows(buttons: Sequence[Button], per_row: int) -> Keyboard:
    return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))


def language_picker(t: Translator) -> Reply:
    buttons = [Button(own_name(code), callback(LANGUAGE, code)) for code in LANGUAGES]
    return Reply(t.line(t("Which language should I speak?")), _rows(buttons, 3))


def welcome(t: Translator, first_name: str | None) -> Reply:
    name = esc((first_name or "").strip()[:64])
    greeting = t("Hello {name}!", name=name) if name else t("Hello!")
    text = "\n".join(
        t.line(line)
        for line in (
            f"<b>{greeting}</b>",
            t(
                "I am the Quartierslotse, the neighbourhood guide for Altenhagen, Eckesey "
                "and Hagen city centre. Tell me in a few words what you need help with, "
                "in your language – for example food, rent, papers, a doctor or a German course."
            ),
            t("You can also browse all services with /menu or share your location."),
            t("In an emergency call 112 (ambulance, fire) or 110 (police)."),
        )
    )
    return Reply(text, language_picker(t).buttons)


def help_text(t: Translator) -> Reply:
    lines = [
        "<b>" + t("How I can help") + "</b>",
        t(
            "Write your question in your own words, in your language. "
            "I find the right place in Hagen."
        ),
        "/menu – " + t("browse services by topic"),
        "/events – " + t("what's on in the neighbourhood"),
        "/area – " + t("tell me your quarter (optional)"),
        "/news – " + t("news and events by message (optional)"),
        "/forumtopic – " + t("propose a topic for the next Stadtteilforum"),
        "/language – " + t("change the language"),
        "/privacy – " + t("what I store and how to delete it"),
        "📎 " + t("Share your location (paperclip → Location) to see the nearest services."),
        "🚨 " + t("In an emergency call 112 (ambulance, fire) or 110 (police)."),
    ]
    return Reply("\n".join(t.line(line) for line in lines))


def privacy_text(t: Translator, translated: bool = False) -> Reply:
    """`translated`: the translation bridge is set up, so passed-on messages go through it."""
    lines = [
        "<b>" + t("Privacy") + "</b>",
        t("I store your chat number and the language you chose, so that I answer in it."),
        t(
            "If you tell me your quarter with /area, I store it as well and count it, without "
            "your number, in the anonymous statistics."
        ),
        t(
            "If you subscribe to news with /news, I store what you subscribed to until you "
            "unsubscribe."
        ),
        t(
            "If you answer an invitation to a forum, I store your answer until two weeks after "
            "the date, so that you can get its minutes."
        ),
        t(
            "Your questions are not stored with your name or number. For statistics I keep "
            "only which topic was asked and whether I could help, "
            "without anything that identifies you."
        ),
        t(
            "So that nothing gets lost if I restart, each message you send is kept until I have "
            "answered it – normally less than a second – and then deleted."
        ),
        t(
            "When I cannot answer a question well, I keep its text for 30 days without your chat "
            "number, with numbers and e-mail addresses removed, so that the coordinators can "
            "teach me the words I did not know."
        ),
        t(
            "Other residents never see your messages. A person reads them only in these two "
            "cases: a question you passed on, and, without your number, a question I could not "
            "answer."
        ),
        t(
            "If you ask me to pass a question to the neighbourhood coordinator, I first tell you "
            "what a person will read and what is kept; nothing is passed on without your yes."
        ),
        t(
            "Questions you pass on and the answers to them are translated by machine on a "
            "translation server that the neighbourhood office runs itself; no other company "
            "receives them."
        )
        if translated
        else "",
        t("To see what is stored about you, send /mydata; to have it erased, send /delete."),
    ]
    return Reply("\n".join(t.line(line) for line in lines if line))


def confirm_delete(t: Translator, open_case: int | None) -> Reply:
    lines = [t("Delete everything stored about you: your language, your cases and their messages?")]
    if open_case is not None:
        lines.append(
            t(
                "Your open case #{number} ends with it: the coordinators can no longer answer you.",
                number=open_case,
            )
        )
    buttons = (
        (
            Button("🗑 " + t("Yes, delete"), callback(DELETE, "yes")),
            Button("✖ " + t("No"), callback(DELETE, "no")),
        ),
    )
    return Reply("\n".join(t.line(line) for line in lines), buttons)


def nothing_deleted(t: Translator) -> Reply:
    return Reply(t.line(t("Nothing was deleted.")))


def deleted(t: Translator) -> Reply:
    return Reply(t.line(t("Done: everything stored about you has been deleted.")))


def language_set(t: Translator) -> Reply:
    # Each catalog names its own language the way it is said there ("по-русски", not "на
    # языке: Русский"), so no placeholder.
    return Reply(t.line(t("From now on I answer in this language. Ask me anything.")))


def offer_language(t: Translator) -> Reply:
    """Asked in the language the resident just wrote (`t`), with one tap to switch to it."""
    text = t("Shall I answer in this language from now on?")
    return Reply(t.line(text), ((Button("✅ " + own_name(t.lang), callback(LANGUAGE, t.lang)),),))


QUARTERS = {
    "altenhagen-eckesey-sued": "Altenhagen/Eckesey-Süd",
    "zentrum-remberg": "Zentrum/Remberg",
}


def area_name(t: Translator, area: str) -> str:
    return QUARTERS.get(area) or t("Elsewhere in Hagen")


def area_choice(t: Translator, current: str | None) -> Reply:
    """Asked, never assumed: what is stored and what for, before anything is stored."""
    lines = [
        "<b>" + t("Where do you live?") + "</b>",
        t(
            "If you tell me, I store your quarter – nothing more precise – and use it to show you "
            "events for your quarter and, without your name, to count in anonymous statistics "
            "what each quarter needs. You can see it with /mydata and delete it here or with "
            "/delete."
        ),
    ]
    choices = [*QUARTERS, "hagen"]
    buttons = [
        Button(("✓ " if current == area else "") + area_name(t, area), callback(AREA, area))
        for area in choices
    ]
    buttons.append(Button("✖ " + t("Do not store it"), callback(AREA, "none")))
    return Reply("\n".join(t.line(line) for line in lines), _rows(buttons, 1))


def area_saved(t: Translator, area: str | None) -> Reply:
    if area is None:
        return Reply(t.line(t("Deleted: I no longer store where you live.")))
    text = t("Saved: {area}. /events now shows your quarter.", area=esc(area_name(t, area)))
    return Reply(t.line("✅ " + text))


NEWS_TOPICS = ("events", "news")


def news_choice(t: Translator, subscribed: set[str]) -> Reply:
    """What subscribing means, said before anything is stored; one tap per topic."""
    labels = {
        "events": t("Events in the neighbourhood"),
        "news": t("News from the neighbourhood office"),
    }
    lines = [
        "<b>" + t("News from the neighbourhood") + "</b>",
        t(
            "Choose what you want to receive. I then store that you subscribed and to what, "
            "and send you such news now and then, in your language. Every message has a button "
            "to unsubscribe; /delete erases everything."
        ),
    ]
    buttons = [
        Button(("✅ " if topic in subscribed else "☐ ") + labels[topic], callback(NEWS, topic))
        for topic in NEWS_TOPICS
    ]
    return Reply("\n".join(t.line(line) for line in lines), _rows(buttons, 1))


def forum_topic_how(t: Translator) -> Reply:
    text = t(
        "Write /forumtopic and your topic in the same message, for example: /forumtopic more "
        "light on the way to the school."
    )
    return Reply(t.line(text))


def forum_topic_ask(t: Translator, topic: str, token: str) -> Reply:
    """Anonymous unless the resident wants an answer; said before anything goes anywhere."""
    shown = esc(topic if len(topic) <= 400 else topic[:399] + "…")
    lines = [
        "<b>" + t("A topic for the next Stadtteilforum") + "</b>",
        f"«{shown}»",
        t(
            "May the neighbourhood coordinator answer you about it? With yes it becomes a "
            "request like a question passed on (kept as /privacy says); with no it reaches the "
            "coordinators without your name and nothing is stored."
        ),
    ]
    buttons = (
        (
            Button("✅ " + t("Yes, you may answer me"), callback(TOPIC, "yes", token)),
            Button("👤 " + t("No, anonymously"), callback(TOPIC, "no", token)),
        ),
    )
    return Reply("\n".join(t.line(line) for line in lines), buttons)


def forum_topic_thanks(t: Translator) -> Reply:
    return Reply(t.line("💡 " + t("Thank you! Your topic was passed on without your name.")))


def forum_topic_not_passed(t: Translator) -> Reply:
    text = t("Sorry, I could not pass your topic on just now. Please try again later.")
    return Reply(t.line(text))


def unsubscribed(t: Translator) -> Reply:
    return Reply(t.line("🔕 " + t("Unsubscribed. You will not get these messages any more.")))


def emergency_banner(t: Translator) -> Reply:
    return Reply(
        t.line(
            "🚨 <b>"
            + t("If you are in danger now, call 112 (ambulance, fire) or 110 (police).")
            + "</b>"
        )
    )


MENU_TOP = "top"  # the callback argument of "back to the topics"


def menu(directory: Directory, t: Translator, category_id: str | None = None) -> Reply:
    lang = t.lang
    if category_id is None:
        buttons = [
            Button(f"{c.icon} {pick(c.label, lang)}".strip(), callback(MENU, c.id))
            for c in directory.top_categories()
        ]
        return Reply(t.line(t("Choose a topic:")), _rows(buttons, 2))
    category = directory.category(category_id)
    if category is None:
        return Reply(t.line(t("This topic no longer exists.")))
    subcategories = [
        Button(f"{c.icon} {pick(c.label, lang)}".strip(), callback(MENU, c.id))
        for c in directory.children(category_id)
    ]
    services = [
        Button(service_title(s, lang, directory), callback(SHOW, s.id))
        for s in directory.services_in(category_id)
    ]
    title = f"<b>{esc(f'{category.icon} {pick(category.label, lang)}'.strip())}</b>"
    back = (Button("⬅️", callback(MENU, category.parent or MENU_TOP)),)
    if not services and not subcategories:
        text = t.line(title) + "\n" + t.line(t("No services in this topic yet."))
        return Reply(text, (back,))
    return Reply(t.line(title), (*_rows(subcategories, 2), *_rows(services, 1), back))


def ask_person_button(t: Translator) -> Button:
    return Button("🙋 " + t("Ask a person (neighbourhood coordinator)"), callback(ESCALATE, "ask"))


def suggestions(matches: Sequence[Match], directory: Directory, t: Translator) -> Reply:
    buttons = []
    for match in matches[:3]:
        service = directory.service(match.service_id)
        if service is not None:
            buttons.append(
                Button(service_title(service, t.lang, directory), callback(SHOW, service.id))
            )
    text = t.line(t("I am not sure I understood. Does one of these fit?"))
    return Reply(text, (*_rows(buttons, 1), (ask_person_button(t),)))


def not_found(t: Translator) -> Reply:
    lines = [
        t("Sorry, I could not find a service that fits."),
        t("Try other or fewer words, or browse the topics with /menu."),
        t("Or let a person from the neighbourhood office help you:"),
    ]
    return Reply("\n".join(t.line(line) for line in lines), ((ask_person_button(t),),))


def greeting(t: Translator) -> Reply:
    return Reply(
        t.line(t("Hello! How can I help you? Write in a few words what you are looking for."))
    )


def you_are_welcome(t: Translator) -> Reply:
    return Reply(t.line(t("You are welcome! Write any time you need something.")))


def media_not_understood(t: Translator) -> Reply:
    return Reply(
        t.line(
            t(
                "Thank you! I can only read text, not voice messages, pictures, stickers or files. "
                "Please write your question in a few words."
            )
        )
    )


def unknown_command(t: Translator) -> Reply:
    return Reply(t.line(t("I do not know this command. Send /help to see what I can do.")))


def stale_button(t: Translator) -> str:
    return t("This button no longer works. Please send /menu.")


def feedback_thanks(t: Translator, helpful: bool) -> str:
    return t("Thank you! Glad it helped.") if helpful else t("Thank you for telling me.")


def not_helpful_followup(t: Translator) -> Reply:
    text = t.line(t("Sorry. Describe in other words what you need, or try /menu."))
    return Reply(text, ((ask_person_button(t),),))


# ---- asking a person ------------------------------------------------------------------------


def consent(
    t: Translator, question: str, token: str, retention_days: int, closed_days: int
) -> Reply:
    """The question quoted as it will be passed on; the buttons are bound to it by `token`."""
    shown = esc(question if len(question) <= 600 else question[:599] + "…")
    lines = [
        "<b>" + t("Pass your question to the neighbourhood coordinator?") + "</b>",
        t(
            "A person from the coordination office of the neighbourhood network "
            "Altenhagen/Eckesey-Süd and Zentrum/Remberg will read it:"
        ),
        f"«{shown}»",
        t(
            "What is kept: this question, what you add to it and the answers, your chat number "
            "and your language – until {closed} days after the case is closed, and never longer "
            "than {days} days after your last message; then only an anonymous number remains.",
            closed=closed_days,
            days=retention_days,
        ),
        t("You can see your data with /mydata and delete it with /delete."),
    ]
    buttons = (
        (
            Button("✅ " + t("Yes, pass it on"), callback(ESCALATE, "yes", token)),
            Button("✖ " + t("No"), callback(ESCALATE, "no", token)),
        ),
    )
    return Reply("\n".join(t.line(line) for line in lines), buttons)


def no_question_to_pass(t: Translator) -> Reply:
    return Reply(t.line(t("Please write your question first, then I can pass it on.")))


def escalation_cancelled(t: Translator) -> Reply:
    return Reply(t.line(t("All right, nothing was passed on and nothing was stored.")))


def case_received(t: Translator, case_id: int, hours: str, next_time: str | None) -> Reply:
    lines = [
        "✅ "
        + t("Your question has been passed on. Your case number is #{number}.", number=case_id),
        t("The coordinators read messages: {hours}.", hours=esc(hours)) if hours else "",
        t("Expect an answer from about {when}.", when=esc(next_time)) if next_time else "",
        t(
            "You can write more here at any time; I ask you each time whether it should be "
            "added to your case."
        ),
    ]
    return Reply("\n".join(t.line(line) for line in lines if line), ((close_button(t, case_id),),))


def added_to_case(t: Translator, case_id: int) -> Reply:
    return Reply(t.line("➕ " + t("Added to your case #{number}.", number=case_id)))


def close_button(t: Translator, case_id: int) -> Button:
    return Button(
        "✅ " + t("Settled – close case #{number}", number=case_id), callback(CLOSE, str(case_id))
    )


def offer_to_add(t: Translator, case_id: int, token: str, media: bool = False) -> Reply:
    """Inside an open case, a message joins it only when the resident says so."""
    question = (
        t(
            "Should I add this file to your case #{number}? The neighbourhood coordinator will "
            "see it.",
            number=case_id,
        )
        if media
        else t(
            "Should I add this message to your case #{number}? Then the neighbourhood "
            "coordinator will read it too.",
            number=case_id,
        )
    )
    add = Button(
        "➕ " + t("Add to case #{number}", number=case_id), callback(ESCALATE, "yes", token)
    )
    return Reply(t.line(question), ((add,), (close_button(t, case_id),)))


def settled_question(t: Translator, case_id: int) -> Reply:
    text = t("Is your case #{number} settled? Then you can close it here.", number=case_id)
    return Reply(t.line(text), ((close_button(t, case_id),),))


def closed_by_you(t: Translator, case_id: int) -> Reply:
    text = t("Case #{number} is closed. If you need help again, just write to me.", number=case_id)
    return Reply(t.line("✅ " + text))


def closed_by_coordinator(t: Translator, case_id: int) -> Reply:
    text = t(
        "The neighbourhood coordinator has closed your case #{number}. Do you still need help? "
        "Just write to me – I can pass your question on again.",
        number=case_id,
    )
    return Reply(t.line("✅ " + text))


def already_closed(t: Translator, case_id: int) -> Reply:
    return Reply(t.line(t("Case #{number} is already closed.", number=case_id)))


def coordinator_answer(
    t: Translator, case_id: int, text: str, original: str | None = None
) -> Reply:
    """The coordinator's answer; translated by the bridge, with the German original below."""
    title = t("Answer from the neighbourhood coordinator")
    body = t.line(f"💬 <b>{title}</b> (#{case_id})") + "\n" + t.line(esc(text))
    if original is not None:
        note = t("Translated by machine. The original in German:")
        body += "\n\n" + t.line(f"<i>{note}</i>") + "\n" + esc(original)
    return Reply(body, ((close_button(t, case_id),),))


def coordinator_recommends(t: Translator, case_id: int) -> Reply:
    text = t(
        "The neighbourhood coordinator recommends this service for your case #{number}:",
        number=case_id,
    )
    return Reply(t.line("💬 " + text))


def coordinators_only(t: Translator) -> Reply:
    return Reply(t.line(t("This command is only for the neighbourhood coordinators.")))


MYDATA_SHOWN = 12  # entries shown in the chat; all of them go in a file when there are more
MYDATA_ENTRY = 300  # characters of one entry shown in the chat


def my_data(
    t: Translator,
    lang: str,
    since: str | None,
    cases: Sequence[tuple[int, str, list[str]]],
    paused_until: str | None = None,
    area: str | None = None,
    subscribed: frozenset[str] = frozenset(),
    rsvps: int = 0,
) -> tuple[Reply, str | None]:
    """cases: (number, status, the resident's own messages and the answers, oldest first).

    The reply stays short – a resident may send /mydata as often as they like, and Telegram
    lets a bot send about one message a second to a chat – so when there is more, the newest
    entries are shown and everything goes in a text file (the second value)."""
    stored = since or cases or paused_until or area or subscribed or rsvps
    if not stored:
        return Reply(t.line(t("I have no data stored about you."))), None
    header = ["<b>" + t("What is stored about you") + "</b>"]
    if since is not None:
        header.append(
            t(
                "Language: {language} (since {date})",
                language=esc(own_name(lang)),
                date=esc(since),
            )
        )
    if area is not None:
        header.append(t("Quarter: {area}", area=esc(area_name(t, area))))
    if rsvps:
        header.append(
            t("Answers to invitations: {count} (deleted two weeks after the date)", count=rsvps)
        )
    if subscribed:
        labels = {
            "events": t("Events in the neighbourhood"),
            "news": t("News from the neighbourhood office"),
        }
        names = ", ".join(labels[topic] for topic in NEWS_TOPICS if topic in subscribed)
        header.append(t("Subscribed: {topics}", topics=esc(names)))
    if paused_until is not None:
        header.append(
            t(
                "Passing your questions on to the coordinators is paused until {date}.",
                date=esc(paused_until),
            )
        )
    total = sum(len(entries) for _, _, entries in cases)
    complete = total <= MYDATA_SHOWN and all(
        len(entry) <= MYDATA_ENTRY for _, _, entries in cases for entry in entries
    )
    skip = max(0, total - MYDATA_SHOWN)
    lines = list(header)
    for number, status, entries in cases:
        shown = entries[skip:] if skip < len(entries) else []
        skip = max(0, skip - len(entries))
        if shown:
            lines.append(t("Case #{number} ({status}):", number=number, status=esc(status)))
            lines += [f"  {esc(_clip(entry, MYDATA_ENTRY))}" for entry in shown]
    if not complete:
        shown_count = min(total, MYDATA_SHOWN)
        lines.append(
            t(
                "The latest {shown} of {total} entries are shown here; all of them are in the "
                "attached file.",
                shown=shown_count,
                total=total,
            )
        )
    lines.append(t("To delete all of it, send /delete."))
    reply = Reply("\n".join(t.line(line) for line in lines))
    if complete:
        return reply, None
    everything = [_plain_text(line) for line in header]
    for number, status, entries in cases:
        everything.append(
            _plain_text(t("Case #{number} ({status}):", number=number, status=status))
        )
        everything += [f"  {entry}" for entry in entries]
    return reply, "\n".join(everything) + "\n"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain_text(line: str) -> str:
    return line.replace("<b>", "").replace("</b>", "")


def forwarding_paused(t: Translator, until: str) -> Reply:
    return Reply(
        t.line(
            t(
                "Passing questions on to the coordinators is paused for you until {date}. "
                "Questions about the directory still work. In an emergency call 112, or 110 "
                "for the police.",
                date=esc(until),
            )
        )
    )


def please_wait(t: Translator) -> Reply:
    return Reply(
        t.line(
            t(
                "You are sending a lot of messages. Please wait a minute: until then I only check "
                "what you send for emergencies. In an emergency call 112, or 110 for the police."
            )
        )
    )


def something_went_wrong(t: Translator) -> Reply:
    return Reply(t.line(t("Sorry, something went wrong on my side. Please try again.")))


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine); plenty accurate within a city."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def nearest(directory: Directory, t: Translator, latitude: float, longitude: float) -> Reply:
    placed: list[tuple[float, Service]] = []
    for service in directory.services:
        address = service.address
        if address is not None and address.lat is not None and address.lon is not None:
            placed.append((distance_m(latitude, longitude, address.lat, address.lon), service))
    placed.sort(key=lambda pair: pair[0])
    if not placed:
        return Reply(t.line(t("I do not know the location of any service yet. Try /menu.")))
    placed = [(meters, s) for meters, s in placed if meters <= NEAR_METERS]
    if not placed:  # a place in another town: nothing here is "near you"
        return Reply(
            t.line(
                t(
                    "This place is far from Hagen; I only know services in and around Hagen. "
                    "Try /menu."
                )
            )
        )
    buttons = [
        Button(
            f"{service_title(s, t.lang, directory)} · {distance_text(meters, t.lang)}",
            callback(SHOW, s.id),
        )
        for meters, s in placed[:NEAREST_COUNT]
    ]
    lines = [t("Services near you, nearest first:")]
    unplaced = sum(
        1
        for service in directory.services
        if not service.urgent and (service.address is None or service.address.lat is None)
    )
    if unplaced:
        # Honest about the list's gaps: a place may be close without a known position.
        lines.append(
            t(
                "{count} places in the directory have no known position yet and are not in "
                "this list; /menu shows all of them.",
                count=unplaced,
            )
        )
    return Reply("\n".join(t.line(line) for line in lines), _rows(buttons, 1))
