"""lotse report: one self-contained HTML page for the council from the anonymous statistics,
with inline SVG charts, and nothing in it that a resident wrote or that identifies them."""

from __future__ import annotations

import asyncio
import io

from bot.cli import main
from bot.store import Store


async def _fill(database):
    store = await Store.open(database)
    rows = [
        ("2026-11-02", "de", "answer", "jobcenter-hagen", 100, None, "altenhagen-eckesey-sued"),
        ("2026-11-03", "tr", "answer", "warenkorb-caritas", 100, None, None),
        ("2026-11-10", "ar", "suggest", "wohngeld-hagen", 70, "money", "zentrum-remberg"),
        ("2026-11-11", "uk", "escalate", None, 0, None, None),
    ]
    await store.write_many(
        "INSERT INTO question_log (day, lang, decision, service_id, score, topic, area) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    await store.write(
        (
            "INSERT INTO residents (chat_id, lang, created_at, updated_at) "
            "VALUES (4711, 'de', 'x', 'x')",
            (),
        ),
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
    )
    await store.close()


def test_the_council_report_is_one_page_of_anonymous_figures(tmp_path):
    database = tmp_path / "lotse.sqlite3"
    asyncio.run(_fill(database))
    target = tmp_path / "report.html"
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "-o",
            str(target),
            "--db",
            str(database),
        ],
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    page = target.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") >= 3  # charts inline
    assert "<td>Fragen</td><td>4</td>" in page
    assert "Altenhagen/Eckesey-Süd" in page and "90 Min." in page  # a case answered in 90 min
    assert "Hilfe für Haustiere" in page  # an unmatched theme, by its need's label
    assert "geheimer satz" not in page and "4711" not in page  # nothing a resident wrote, no id
    # Self-contained: nothing loaded from outside (SVG namespaces are names, not requests).
    assert not any(ref in page for ref in ('src="http', 'href="http', "<link", "<script"))


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
