"""The learning loop: unanswered questions kept anonymously, grouped for review, phrases taught
to the YAML and picked up by /reload."""

from __future__ import annotations

import asyncio
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import KNOWLEDGE, texts

from bot.app import housekeeping
from bot.cli import main
from bot.directory import load_directory
from bot.learning import (
    TeachError,
    group,
    learn_from_sets,
    scrub,
    teach_example,
    teach_need,
    teach_service,
)
from bot.matching import Matcher


def test_scrub_removes_numbers_mail_and_links_but_keeps_the_words():
    kept = scrub("Mein Fall 4711, Tel. 0176 123 45 67, mail a.b@example.org, www.x.de – Wohngeld?")
    assert "4711" not in kept and "0176" not in kept and "example.org" not in kept
    assert "www.x.de" not in kept
    assert "Wohngeld?" in kept and "[nr]" in kept and "[e-mail]" in kept
    assert len(scrub("x" * 5000)) <= 300


def test_questions_with_the_same_need_or_the_same_words_form_one_theme():
    themes = group(
        [
            ("de", "kita-place", "kitaplatz gesucht"),
            ("tr", "kita-place", "kreş yeri arıyorum"),
            ("de", None, "wann fährt der bus nach dortmund"),
            ("de", None, "bus nach dortmund wann"),
            ("en", None, "football club for my son"),
        ]
    )
    assert [t.count for t in themes] == [2, 2, 1]
    assert themes[0].need == "kita-place" and themes[0].langs == {"de": 1, "tr": 1}


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, root)
    return root


def test_a_taught_phrase_makes_the_question_match_after_reload(knowledge: Path):
    question = "brauche hilfe mit dem ding vom amt wegen dem papierkram fürs kindergeldgedöns"
    before = Matcher(load_directory(knowledge)).match("familienknete antrag", "de")
    assert "familienkasse-kindergeld" not in [m.service_id for m in before.matches[:1]]
    path = teach_need(knowledge, "child-benefit", "de", "familienknete")
    assert path == knowledge / "needs" / "de.yaml"
    after = Matcher(load_directory(knowledge)).match("familienknete antrag", "de")
    assert after.matches[0].service_id == "familienkasse-kindergeld", question


def test_teaching_refuses_unknown_needs_duplicates_and_keeps_the_file_valid(knowledge: Path):
    with pytest.raises(TeachError, match="unknown need"):
        teach_need(knowledge, "no-such-need", "de", "irgendwas")
    teach_need(knowledge, "child-benefit", "tr", "çocuk parası nerede")
    with pytest.raises(TeachError, match="already"):
        teach_need(knowledge, "child-benefit", "tr", "Çocuk parası nerede")
    teach_need(knowledge, "child-benefit", "tr", 'sonderzeichen: "x" # y')
    assert load_directory(knowledge).vocabulary.phrases["child-benefit"]["tr"][-1] == (
        'sonderzeichen: "x" # y'
    )


def test_a_brand_name_can_be_taught_to_a_service(knowledge: Path):
    teach_service(knowledge, "warenkorb-caritas", "de", "lebensmittelladen boele")
    directory = load_directory(knowledge)
    assert "lebensmittelladen boele" in directory.service("warenkorb-caritas").keywords["de"]


def test_a_taught_example_moves_its_place_first_among_the_cards(knowledge: Path):
    shutil.rmtree(knowledge / "examples")
    question = "Bei der Schuldnerberatung der Diakonie ist alles voll, ich warte seit Monaten"
    before = [m.service_id for m in Matcher(load_directory(knowledge)).match(question).matches]
    assert before[0] == "schuldnerberatung-diakonie"
    assert "schuldnerberatung-stadt-hagen" in before
    path, kept = teach_example(
        knowledge,
        "schuldnerberatung-stadt-hagen",
        "de",
        "Schuldnerberatung Diakonie voll, warte seit Monaten, Tel. 0176 1234567",
    )
    assert path == knowledge / "examples" / "de.yaml"
    assert "0176" not in kept and "0176" not in path.read_text(encoding="utf-8")
    after = Matcher(load_directory(knowledge)).match(question)
    assert after.matches[0].service_id == "schuldnerberatung-stadt-hagen"
    with pytest.raises(TeachError, match="already"):
        teach_example(knowledge, "schuldnerberatung-diakonie", "de", kept.upper())
    with pytest.raises(TeachError, match="unknown service"):
        teach_example(knowledge, "no-such-place", "de", "irgendeine frage zu irgendwas")


def test_an_example_of_an_unknown_service_is_a_problem_lotse_check_names(knowledge: Path):
    with (knowledge / "examples" / "tr.yaml").open("a", encoding="utf-8") as file:
        file.write('kapali-yer:\n  - "bu yer artik yok"\n')
    code = main(["check", str(knowledge)])
    assert code == 1


SCORED_SET = """\
- {q: "kaution nicht zurück, Tel 0176 1234567", lang: de, expect: [mieterverein-hagen]}
- {q: "wer hat gestern das spiel gewonnen", lang: de, expect: out}
- {q: "ich hab alles verschenkt und mich von allen verabschiedet", lang: de, signal: suicide}
- {q: "meine tochter hat morgen einen zahnarzttermin", lang: de, signal: none}
"""


def test_a_scored_set_becomes_examples_once_scrubbed_and_all_or_nothing(knowledge, tmp_path):
    labelled = tmp_path / "scored.yaml"
    labelled.write_text(SCORED_SET, encoding="utf-8")
    assert learn_from_sets(knowledge, [labelled]) == {"examples": 1, "danger/examples": 3}
    directory = load_directory(knowledge)
    asked = directory.examples["mieterverein-hagen"]["de"]
    assert any("kaution" in q for q in asked) and not any("0176" in q for q in asked)
    assert "wer hat gestern das spiel gewonnen" in directory.danger_examples["none"]["de"]
    assert any("verschenkt" in q for q in directory.danger_examples["suicide"]["de"])
    assert learn_from_sets(knowledge, [labelled]) == {}  # nothing twice
    before = (knowledge / "examples" / "de.yaml").read_text(encoding="utf-8")
    labelled.write_text(
        SCORED_SET.replace("wer hat", "wer hatte")
        + '- {q: "eine frage", lang: de, expect: [no-such-place]}\n',
        encoding="utf-8",
    )
    with pytest.raises(TeachError, match="problems"):
        learn_from_sets(knowledge, [labelled])
    assert (knowledge / "examples" / "de.yaml").read_text(encoding="utf-8") == before
    assert "wer hatte" not in (knowledge / "danger" / "examples" / "de.yaml").read_text("utf-8")


def test_lotse_teach_reports_success_and_errors(knowledge: Path, capsys):
    code = main(
        ["teach", "familienknete", "--need", "child-benefit", "--knowledge", str(knowledge)]
    )
    assert code == 0 and "/reload" in capsys.readouterr().out
    code = main(["teach", "x", "--need", "nope", "--knowledge", str(knowledge)])
    assert code == 1 and "unknown need" in capsys.readouterr().err
    asked = "wo gibt es hilfe beim ausfüllen vom wohngeldantrag"
    code = main(
        ["teach", asked, "--example", "--service", "wohngeld-hagen", "--knowledge", str(knowledge)]
    )
    assert code == 0 and "examples/de.yaml" in capsys.readouterr().out
    code = main(
        ["teach", asked, "--example", "--need", "housing-benefit", "--knowledge", str(knowledge)]
    )
    assert code == 1 and "--service" in capsys.readouterr().err
    code = main(["learn", str(KNOWLEDGE.parent / "tests" / "nope"), "--knowledge", str(knowledge)])
    assert code == 1 and "lotse learn" in capsys.readouterr().err


async def test_unanswered_questions_are_kept_without_chat_id_and_reviewed(bot, tmp_path, capsys):
    resident = bot.user(user_id=777)
    await bot.say(resident, "wo kann ich einen hund adoptieren, tel 0176 5555555")
    await bot.say(resident, "tierarzt zu teuer")
    await bot.say(resident, "wo ist das jobcenter")  # answered: not kept
    rows = await bot.runtime.db.unmatched("2000-01-01")
    kept = [text for *_, text in rows]
    assert len(kept) == 2 and all("5555555" not in t for t in kept)
    columns = await bot.runtime.db.rows("PRAGMA table_info(unmatched)")
    assert not {"chat_id", "resident_chat_id", "user_id"} & {c[1] for c in columns}


async def test_unanswered_questions_are_forgotten_after_thirty_days(bot):
    await bot.runtime.db.write(
        (
            "INSERT INTO unmatched (day, lang, decision, need, text) VALUES (?, ?, ?, ?, ?)",
            ("2000-01-01", "de", "escalate", None, "alt"),
        )
    )
    await bot.say(bot.user(), "wo kann ich einen hund adoptieren")
    await housekeeping(bot.runtime, datetime.now(UTC) + timedelta(days=1))
    assert [r[-1] for r in await bot.runtime.db.unmatched("1999-01-01")] == [
        "wo kann ich einen hund adoptieren"
    ]


async def test_privacy_text_tells_about_the_thirty_days(bot):
    calls = await bot.say(bot.user(lang="en"), "/privacy")
    assert "30 days without your chat number" in texts(calls)
    assert "Nobody else can see" not in texts(calls)


async def test_lotse_review_groups_the_unanswered_questions(tmp_path, capsys):
    from bot.store import Store

    db = tmp_path / "review.sqlite3"
    store = await Store.open(db)
    for lang, text, need in [
        ("de", "kitaplatz gesucht in altenhagen", "kita-place"),
        ("tr", "kreş yeri arıyorum", "kita-place"),
        ("de", "wo kann ich angeln gehen", None),
    ]:
        await store.log_unmatched(lang, text, "escalate", need)
    await store.close()
    code = await asyncio.to_thread(main, ["review", "--db", str(db)])
    out = capsys.readouterr().out
    assert code == 0
    assert "3 questions without a sure answer" in out
    assert "2×  kita-place" in out and "[de:1 tr:1]" in out
    assert "«wo kann ich angeln gehen»" in out
