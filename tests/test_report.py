"""lotse report: one self-contained HTML page for the council from the anonymous statistics,
with inline SVG charts, and nothing in it that a resident wrote or that identifies them."""

from __future__ import annotations

import asyncio
import io
import shutil
import subprocess

import pytest
from matplotlib.image import imread

from bot.cli import main
from bot.store import Store


async def _fill(database):
    store = await Store.open(database)
    rows = [
        ("2026-11-02", "de", "answer", "jobcenter-hagen", 100, None, "altenhagen-eckesey-sued"),
    ] * 6 + [
        ("2026-11-03", "tr", "answer", "warenkorb-caritas", 100, None, None),
        ("2026-11-10", "ar", "suggest", "wohngeld-hagen", 70, "money", "zentrum-remberg"),
        ("2026-11-11", "uk", "escalate", None, 0, None, None),
    ]
    await store.write_many(
        "INSERT INTO question_log (day, lang, decision, service_id, score, topic, area) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    residents = [
        (
            "INSERT INTO residents (chat_id, lang, area, created_at, updated_at) "
            "VALUES (?, 'de', 'altenhagen-eckesey-sued', 'x', 'x')",
            (4711 + n,),
        )
        for n in range(6)
    ]
    subscriptions = [
        (
            "INSERT INTO subscriptions (chat_id, topic, created_at) VALUES (?, 'news', 'x')",
            (4711 + n,),
        )
        for n in range(6)
    ]
    await store.write(
        *residents,
        *subscriptions,
        (
            "INSERT INTO cases (resident_chat_id, lang, created_at, updated_at, first_answer_at, "
            "area) VALUES (4711, 'de', '2026-11-04T09:00:00.000+00:00', 'x', "
            "'2026-11-04T10:30:00.000+00:00', 'altenhagen-eckesey-sued')",
            (),
        ),
        (
            "INSERT INTO unmatched (day, lang, decision, need, text) "
            "VALUES ('2026-11-11', 'uk', 'escalate', 'pet-help', 'geheimer satz 0171')",
            (),
        ),
        # a forum date's answers: three still kept, the rest already counted and deleted
        *(
            (
                "INSERT INTO rsvps (event_id, occurs, chat_id, answer, created_at) "
                "VALUES ('forum-altenhagen', '202611181800', ?, 'yes', 'x')",
                (4711 + n,),
            )
            for n in range(3)
        ),
        (
            "INSERT INTO rsvp_counts (event_id, occurs, answer, n) VALUES "
            "('forum-altenhagen', '202611181800', 'yes', 4), "
            "('forum-altenhagen', '202611181800', 'no', 1)",
            (),
        ),
    )
    await store.close()


def _report(tmp_path):
    database = tmp_path / "lotse.sqlite3"
    asyncio.run(_fill(database))
    target = tmp_path / "report.html"
    out, err = io.StringIO(), io.StringIO()
    arguments = ["report", "--from", "2026-11-01", "--to", "2026-11-30", "-o", str(target)]
    code = main([*arguments, "--db", str(database)], out=out, err=err)
    assert code == 0, err.getvalue()
    return target


def test_the_council_report_is_one_page_of_anonymous_figures(tmp_path):
    page = _report(tmp_path).read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") >= 4  # charts inline
    assert "<td>Fragen</td><td>9</td>" in page
    assert "90 Minuten" in page  # the one case, answered in 90 minutes, in the overall median
    assert "Hilfe für Haustiere" in page  # an unmatched theme, by its need's label
    assert "geheimer satz" not in page and "4711" not in page  # nothing a resident wrote, no id
    # Self-contained: nothing loaded from outside (SVG namespaces are names, not requests).
    assert not any(ref in page for ref in ('src="http', 'href="http', "<link", "<script"))


def test_small_counts_are_suppressed_and_the_network_is_counted(tmp_path):
    page = _report(tmp_path).read_text("utf-8")
    # one case in the quarter: its count and its median wait would single someone out
    assert "<td>Altenhagen/Eckesey-Süd</td><td>6</td><td>&lt; 5</td><td>–</td>" in page
    assert "(Futter, Tierarzt)</td><td>&lt; 5</td>" in page
    # the forum: 3 answers still kept + 4 already counted = 7 yes; 1 no is suppressed
    assert "<td>7</td><td>0</td><td>&lt; 5</td>" in page
    assert "<td>Neuigkeiten vom Quartiersbüro</td><td>6</td>" in page


async def _prune(database):
    store = await Store.open(database)
    await store.prune_rsvps("20261201")
    kept = await store.value("SELECT COUNT(*) FROM rsvps")
    counted = await store.value("SELECT n FROM rsvp_counts WHERE answer = 'yes'")
    await store.close()
    return kept, counted


def test_past_answers_are_deleted_but_stay_counted(tmp_path):
    database = tmp_path / "lotse.sqlite3"
    asyncio.run(_fill(database))
    assert asyncio.run(_prune(database)) == (0, 7)


def test_the_report_draws_its_charts_in_a_real_browser(tmp_path):
    browser = next(
        (b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None
    )
    if browser is None:
        pytest.skip("no Chromium installed (apt-get install chromium): the page is not rendered")
    page = _report(tmp_path)
    shot = tmp_path / "report.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=1000,4000",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pixels = imread(shot)[..., :3]
    # The text is black on white; the charts' bars are coloured. Many coloured pixels mean the
    # browser drew the inline SVG charts.
    coloured = (pixels.max(axis=-1) - pixels.min(axis=-1)) > 0.3
    assert coloured.sum() > 2000


def test_the_report_never_creates_a_database(tmp_path):
    err = io.StringIO()
    code = main(
        [
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "-o",
            str(tmp_path / "r.html"),
            "--db",
            str(tmp_path / "none.sqlite3"),
        ],
        out=io.StringIO(),
        err=err,
    )
    assert code == 2 and not (tmp_path / "none.sqlite3").exists()
