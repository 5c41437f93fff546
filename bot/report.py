"""`lotse report`: one self-contained HTML page in German for the Sozialausschuss – what the
quarters asked, what the bot could answer, what reached a person and how fast – with the charts
as inline SVG (matplotlib). Built only from the anonymous statistics: no text a resident wrote,
no chat id, nothing that identifies anyone.
"""

from __future__ import annotations

import html
import io
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import matplotlib

matplotlib.use("Agg")  # files only, no display: before pyplot is imported
import matplotlib.pyplot as plt

from .directory import Directory, pick
from .events import BERLIN, occurrences
from .store import Store

SMALL = 5  # counts below this are not shown: in a quarter, three people can be told apart
TOPICS = {"events": "Veranstaltungen", "news": "Neuigkeiten vom Quartiersbüro"}

AREAS = {
    "altenhagen-eckesey-sued": "Altenhagen/Eckesey-Süd",
    "zentrum-remberg": "Zentrum/Remberg",
    "hagen": "anderswo in Hagen",
    None: "ohne Angabe",
}
DECISIONS = {"answer": "beantwortet", "suggest": "unsicher", "escalate": "nichts gefunden"}
LANGUAGE_NAMES = {
    "de": "Deutsch",
    "tr": "Türkisch",
    "ar": "Arabisch",
    "uk": "Ukrainisch",
    "ru": "Russisch",
    "ro": "Rumänisch",
    "bg": "Bulgarisch",
    "pl": "Polnisch",
    "en": "Englisch",
    "fa": "Persisch",
    "ku": "Kurdisch",
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive


def _count(n: int) -> str:
    """A count as printed: small ones suppressed (0 stays 0: nobody to single out)."""
    return str(n) if n == 0 or n >= SMALL else f"< {SMALL}"


def _shown(values: dict[str, int]) -> dict[str, int]:
    """Chart values without the small ones."""
    return {k: v for k, v in values.items() if v >= SMALL}


def _week(day: str) -> str:
    moment = date.fromisoformat(day[:10])
    return (moment - timedelta(days=moment.weekday())).isoformat()


def _svg(figure: plt.Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _stacked(weeks: list[str], series: dict[str, dict[str, int]], title: str) -> str:
    figure, axis = plt.subplots(figsize=(8, 3.2))
    bottom = [0] * len(weeks)
    for name, per_week in series.items():
        values = [per_week.get(w, 0) for w in weeks]
        axis.bar(weeks, values, bottom=bottom, label=name)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axis.set_title(title)
    axis.set_ylabel("Fragen")
    axis.tick_params(axis="x", rotation=45, labelsize=7)
    axis.legend(fontsize=7, ncol=4)
    return _svg(figure)


def _bars(labels: list[str], values: list[float], title: str, unit: str) -> str:
    figure, axis = plt.subplots(figsize=(8, 2.8))
    axis.barh(labels, values)
    axis.set_title(title)
    axis.set_xlabel(unit)
    axis.invert_yaxis()
    return _svg(figure)


def _table(header: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _network(
    directory: Directory,
    period: Period,
    rsvps: list[tuple[str, str, str, int]],
    subscribers: list[tuple[str, str | None, int]],
) -> list[str]:
    """Events held in the period, the forums' answers, and who subscribed to what."""
    start = datetime.combine(period.start, time.min, BERLIN)
    end = datetime.combine(period.end + timedelta(days=1), time.min, BERLIN)
    held = [
        (pick(series.title, "de"), len(occurrences(series, start, end)))
        for series in directory.events
    ]
    held = [(title, n) for title, n in held if n]
    parts = ["<h2>Veranstaltungen und Stadtteilforen</h2>"]
    if held:
        parts.append(_table(["Veranstaltung", "Termine im Zeitraum"], [[t, n] for t, n in held]))
    else:
        parts.append("<p>Im Zeitraum standen keine Veranstaltungen im Verzeichnis.</p>")
    titles = {series.id: pick(series.title, "de") for series in directory.events}
    answers: dict[str, Counter[str]] = defaultdict(Counter)
    for event_id, occurs, answer, n in rsvps:
        label = f"{titles.get(event_id, event_id)} {occurs[6:8]}.{occurs[4:6]}.{occurs[:4]}"
        answers[label][answer] += int(n)
    if answers:
        parts.append(
            _table(
                ["Stadtteilforum", "kommen", "vielleicht", "kommen nicht"],
                [
                    [label, *(_count(c[a]) for a in ("yes", "maybe", "no"))]
                    for label, c in sorted(answers.items())
                ],
            )
        )
        coming = _shown({label: c["yes"] + c["maybe"] for label, c in answers.items()})
        if coming:
            parts.append(
                _bars(
                    list(coming),
                    list(coming.values()),
                    "Zusagen (kommen oder vielleicht) je Forumstermin",
                    "Personen",
                )
            )
    by_topic: Counter[str] = Counter()
    by_topic_area: dict[str, Counter[str]] = defaultdict(Counter)
    for topic, area, n in subscribers:
        by_topic[TOPICS.get(topic, topic)] += int(n)
        by_topic_area[TOPICS.get(topic, topic)][AREAS.get(area, AREAS[None])] += int(n)
    parts.append("<h2>Abonnements (Stand heute)</h2>")
    if by_topic:
        parts.append(
            _table(
                ["Thema", "Abonnent*innen", *AREAS.values()],
                [
                    [topic, _count(n), *(_count(by_topic_area[topic][a]) for a in AREAS.values())]
                    for topic, n in by_topic.items()
                ],
            )
        )
        shown = _shown(dict(by_topic))
        if shown:
            parts.append(_bars(list(shown), list(shown.values()), "Abonnent*innen", "Personen"))
    else:
        parts.append("<p>Noch niemand hat Neuigkeiten abonniert.</p>")
    return parts


async def build(store: Store, directory: Directory, period: Period) -> str:
    first, last = period.start.isoformat(), period.end.isoformat()
    questions = await store.rows(
        "SELECT day, lang, decision, service_id, area FROM question_log WHERE day BETWEEN ? AND ?",
        (first, last),
    )
    cases = await store.rows(
        "SELECT substr(created_at, 1, 10), area, "
        "COALESCE(answer_minutes, (julianday(first_answer_at) - julianday(created_at)) * 1440) "
        "FROM cases WHERE spam = 0 AND substr(created_at, 1, 10) BETWEEN ? AND ?",
        (first, last),
    )
    unmatched = await store.rows(
        "SELECT need, COUNT(*) FROM unmatched WHERE day BETWEEN ? AND ? GROUP BY need",
        (first, last),
    )
    weeks = sorted({_week(day) for day, *_ in questions})
    rsvps = await store.rows(
        "SELECT event_id, occurs, answer, SUM(n) FROM ("
        "SELECT event_id, occurs, answer, n FROM rsvp_counts UNION ALL "
        "SELECT event_id, occurs, answer, 1 FROM rsvps) "
        "WHERE substr(occurs, 1, 8) BETWEEN ? AND ? GROUP BY event_id, occurs, answer",
        (f"{period.start:%Y%m%d}", f"{period.end:%Y%m%d}"),
    )
    subscribers = await store.rows(
        "SELECT s.topic, r.area, COUNT(*) FROM subscriptions s "
        "JOIN residents r ON r.chat_id = s.chat_id GROUP BY s.topic, r.area"
    )
    by_lang: dict[str, dict[str, int]] = defaultdict(Counter)
    by_decision: dict[str, dict[str, int]] = defaultdict(Counter)
    themes: Counter[str] = Counter()
    per_area: Counter[str] = Counter()
    for day, lang, decision, service_id, area in questions:
        by_lang[LANGUAGE_NAMES.get(lang, lang)][_week(day)] += 1
        if decision in DECISIONS:
            by_decision[DECISIONS[decision]][_week(day)] += 1
        service = directory.service(service_id) if service_id else None
        category = directory.category(service.categories[0]) if service else None
        if decision == "answer" and category is not None:
            themes[pick(category.label, "de")] += 1
        per_area[AREAS.get(area, AREAS[None])] += 1
    total = len(questions)
    answered = sum(1 for q in questions if q[2] == "answer")
    minutes_by_area: dict[str, list[float]] = defaultdict(list)
    cases_by_area: Counter[str] = Counter()
    for _day, area, minutes in cases:
        name = AREAS.get(area, AREAS[None])
        cases_by_area[name] += 1
        if minutes is not None:
            minutes_by_area[name].append(float(minutes))
    all_minutes = [m for values in minutes_by_area.values() for m in values]
    gaps = sorted(
        ((need or "ohne erkanntes Thema", n) for need, n in unmatched), key=lambda x: -x[1]
    )
    need_labels = {n.id: pick(n.label, "de") for n in directory.vocabulary.needs}

    parts = [
        f"<h1>Quartierslotse – Bericht für den Sozialausschuss</h1>"
        f"<p>Zeitraum {period.start:%d.%m.%Y} bis {period.end:%d.%m.%Y}. Grundlage sind nur "
        "anonyme Zählungen: kein Text, den eine Person geschrieben hat, keine Chat-Nummer.</p>",
        "<h2>Auf einen Blick</h2>",
        _table(
            ["Kennzahl", "Wert"],
            [
                ["Fragen", total],
                [
                    "davon vom Bot beantwortet",
                    f"{answered} ({answered / total:.0%})" if total else "–",
                ],
                ["an eine Person weitergegeben (Anfragen)", len(cases)],
                [
                    "Median bis zur ersten Antwort",
                    f"{statistics.median(all_minutes):.0f} Minuten" if all_minutes else "–",
                ],
            ],
        ),
    ]
    if weeks:
        parts += [
            "<h2>Fragen pro Woche nach Sprache</h2>",
            _stacked(
                weeks,
                {k: _shown(v) for k, v in by_lang.items()},
                "Fragen pro Woche nach Sprache",
            ),
            "<h2>Was der Bot beantworten konnte</h2>",
            _stacked(
                weeks,
                {k: _shown(v) for k, v in by_decision.items()},
                "beantwortet, unsicher, nichts gefunden",
            ),
        ]
    themes = Counter(_shown(dict(themes)))
    if themes:
        top = themes.most_common(10)
        parts += [
            "<h2>Häufigste Themen</h2>",
            _bars(
                [t for t, _ in top], [n for _, n in top], "Beantwortete Fragen nach Thema", "Fragen"
            ),
        ]
    if gaps:
        parts += [
            "<h2>Themen ohne passendes Angebot</h2>",
            "<p>Fragen, die der Bot nicht sicher beantworten konnte, nach erkanntem Bedarf "
            "(werden 30 Tage aufbewahrt).</p>",
            _table(
                ["Bedarf", "Fragen"], [[need_labels.get(n, n), _count(c)] for n, c in gaps[:15]]
            ),
        ]
    parts += [
        "<h2>Fragen und Anfragen nach Quartier</h2>",
        "<p>Das Quartier zählt nur, wenn die Person es selbst angegeben hat (/area).</p>",
        _table(
            ["Quartier", "Fragen", "Anfragen", "Median bis zur ersten Antwort"],
            [
                [
                    name,
                    _count(per_area.get(name, 0)),
                    _count(cases_by_area.get(name, 0)),
                    # the median of fewer than five waits is nearly one person's wait
                    f"{statistics.median(minutes_by_area[name]):.0f} Min."
                    if len(minutes_by_area.get(name, ())) >= SMALL
                    else "–",
                ]
                for name in AREAS.values()
            ],
        ),
    ]
    shown_cases = _shown(dict(cases_by_area))
    if shown_cases:
        names = list(shown_cases)
        parts.append(
            _bars(names, [shown_cases[n] for n in names], "Anfragen nach Quartier", "Anfragen")
        )
    parts += _network(directory, period, rsvps, subscribers)
    parts.append(
        f"<p><small>Zahlen unter {SMALL} (außer 0) sind als „&lt; {SMALL}“ angegeben und in den "
        "Grafiken weggelassen, damit niemand erkennbar wird.</small></p>"
    )
    style = (
        "body{font-family:sans-serif;max-width:50em;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #999;padding:.3em .6em}"
        "svg{max-width:100%;height:auto}@media print{h2{page-break-after:avoid}}"
    )
    return (
        '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">'
        f"<title>Quartierslotse – Bericht</title><style>{style}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>"
    )
