"""The directory format: loading, fallbacks and the validator behind `lotse check`."""

from __future__ import annotations

import copy
import io
import os
import sys
from datetime import date, time

from conftest import KNOWLEDGE, TINY_SERVICES, write_directory

from bot import bulkread, matching
from bot.cli import main
from bot.directory import check_directory, load_directory, pick
from bot.examples import build_indexes
from bot.sideprocess import SideProcess


def test_the_bundled_hagen_directory_is_valid_and_every_entry_names_its_source(hagen):
    _, problems = check_directory(KNOWLEDGE)
    assert problems == []
    local = [s for s in hagen.services if not s.urgent and "germany" not in s.areas]
    assert len(local) >= 25
    for service in hagen.services:
        assert service.source.startswith(("https://", "http://"))
        assert service.verified <= date.today()
        assert service.name["de"]


def test_the_nationwide_emergency_numbers_are_there(hagen):
    phones = {p for s in hagen.services for p in s.phone}
    assert {"112", "110", "116 117", "116 016", "116 111", "0800 111 0 111"} <= phones
    urgent = {s.id for s in hagen.services if s.urgent}
    assert {
        "notruf-112",
        "polizei-110",
        "telefonseelsorge",
        "hilfetelefon-gewalt-gegen-frauen",
    } <= urgent


def test_a_tiny_directory_loads_into_typed_entries(tiny):
    tafel = tiny.service("tafel")
    assert tafel is not None
    assert tafel.hours["mo"] == [(time(9), time(12))]
    assert tafel.address.has_pin
    assert [c.id for c in tiny.children("health")] == ["kids"]
    assert tiny.services_in("emergency")[0].id == "notruf"


def test_missing_language_falls_back_to_german_then_english():
    assert pick({"de": "Hallo", "en": "Hello"}, "tr") == "Hallo"
    assert pick({"en": "Hello"}, "tr") == "Hello"
    assert pick({"tr": "Merhaba", "de": "Hallo"}, "tr") == "Merhaba"
    assert pick({}, "tr") == ""


def test_validator_reports_every_problem_with_file_and_field(tmp_path):
    broken = copy.deepcopy(TINY_SERVICES)
    bad = broken["tafel"]
    bad["hours"] = {"mo": ["25:00-26:00"], "tu": ["12:00-09:00"]}
    bad["phone"] = ["call us!"]
    bad["name"] = {"en": "Only English"}
    bad["categories"] = ["food", "nonsense"]
    bad["verified"] = "someday"
    twin = copy.deepcopy(TINY_SERVICES["notruf"])
    root = write_directory(tmp_path / "k", {**broken, "twin": twin, "junk": "id: [unclosed"})

    directory, problems = check_directory(root)
    assert directory is None
    lines = [str(p) for p in problems]
    report = "\n".join(lines)
    assert "services/tafel.yaml: hours.mo[0]: bad time '25:00-26:00'" in report
    assert (
        "services/tafel.yaml: hours.tu[0]: bad time '12:00-09:00': closes before it opens" in report
    )
    assert "services/tafel.yaml: phone[0]: malformed phone number 'call us!'" in report
    assert "services/tafel.yaml: name: a German name ('de') is required" in report
    assert any(line.startswith("services/tafel.yaml: verified:") for line in lines)
    assert "services/twin.yaml: id: duplicate id 'notruf' (also in services/notruf.yaml)" in report
    assert any(line.startswith("services/junk.yaml: line 2, column 1: YAML") for line in lines)


def test_validator_reports_unknown_categories_and_fields(tmp_path):
    services = copy.deepcopy(TINY_SERVICES)
    services["tafel"]["categories"] = ["food", "nonsense"]
    services["tafel"]["opening"] = "always"
    root = write_directory(tmp_path / "k", services)
    _, problems = check_directory(root)
    report = "\n".join(str(p) for p in problems)
    assert "services/tafel.yaml: opening: unknown field" in report
    services["tafel"].pop("opening")
    root = write_directory(tmp_path / "k2", services)
    _, problems = check_directory(root)
    assert [str(p) for p in problems] == [
        "services/tafel.yaml: categories[1]: unknown category 'nonsense'"
    ]


def test_lotse_check_exits_0_on_the_bundled_directory_and_1_on_errors(tmp_path):
    out = io.StringIO()
    assert main(["check", str(KNOWLEDGE)], out=out) == 0
    assert out.getvalue().startswith("OK: ")
    assert "serves no need" not in out.getvalue()  # every bundled entry is found by its needs

    services = copy.deepcopy(TINY_SERVICES)
    services["tafel"]["phone"] = ["0"]
    root = write_directory(tmp_path / "k", services)
    out = io.StringIO()
    assert main(["check", str(root)], out=out) == 1
    assert "services/tafel.yaml: phone[0]: malformed phone number '0'" in out.getvalue()

    out = io.StringIO()
    assert main(["check", str(tmp_path / "nowhere")], out=out) == 1


def test_load_directory_raises_with_all_problems(tmp_path):
    services = copy.deepcopy(TINY_SERVICES)
    services["tafel"]["phone"] = ["x"]
    services["notruf"]["hours"] = {"mo": ["8-12"]}
    root = write_directory(tmp_path / "k", services)
    try:
        load_directory(root)
    except Exception as exc:
        assert "phone[0]" in str(exc) and "hours.mo[0]" in str(exc)
    else:
        raise AssertionError("a broken directory must not load")


def test_check_shows_translation_coverage_and_flags_stale_entries(tmp_path):
    services = copy.deepcopy(TINY_SERVICES)
    services["notruf"]["verified"] = "2020-01-01"
    root = write_directory(tmp_path / "k", services)
    out = io.StringIO()
    assert main(["check", "--verbose", str(root)], out=out) == 0
    report = out.getvalue()
    assert "warning: tafel: serves no need" in report  # the tiny directory has no needs
    assert "de            2             1         2" in report.replace("  ", "  ")
    assert "warning: notruf: verified 2020-01-01" in report
    assert "warning: tafel: description: no tr, ar" in report  # -v names missing translations


def test_check_reads_yml_names_ignored_files_gives_yaml_positions_and_future_dates(tmp_path):
    services = copy.deepcopy(TINY_SERVICES)
    services["notruf"]["verified"] = "2099-01-01"
    root = write_directory(tmp_path / "k", services)
    (root / "services" / "tafel.yaml").rename(root / "services" / "tafel.yml")
    (root / "services" / "notes.txt").write_text("draft", "utf-8")
    out = io.StringIO()
    assert main(["check", str(root)], out=out) == 0
    report = out.getvalue()
    assert "OK: 2 services" in report  # the .yml file is read
    assert "warning: services/notes.txt: not read" in report
    assert "warning: notruf: verified 2099-01-01 lies in the future" in report
    (root / "services" / "tafel.yml").write_text("id: tafel\nname: {de: [unclosed\n", "utf-8")
    out = io.StringIO()
    assert main(["check", str(root)], out=out) == 1
    assert "services/tafel.yml: line 3, column 1: YAML syntax" in out.getvalue()


def test_a_large_directory_is_read_partly_in_a_second_process_with_the_same_result(
    tmp_path, monkeypatch
):
    alone, problems = check_directory(KNOWLEDGE)
    assert alone is not None and not problems
    monkeypatch.setattr(bulkread, "SHARED_FROM", 10)  # the bundled 96 files count as large
    reader = bulkread.BulkReader(sorted((KNOWLEDGE / "services").glob("*.yaml")))
    shared = list(reader.documents(lambda path: None))  # this process reads nothing
    assert sum(document is not None for _, document in shared) == len(shared) * 2 // 3
    shared_read, problems = check_directory(KNOWLEDGE)
    assert shared_read == alone and not problems

    # A broken file in the second process's part is reported as if it were read here.
    services = {
        f"s{i:02}": {**copy.deepcopy(TINY_SERVICES["tafel"]), "id": f"s{i:02}"} for i in range(12)
    }
    root = write_directory(tmp_path / "k", services)
    (root / "services" / "s11.yaml").write_text("id: s11\nname: {de: [unclosed\n", "utf-8")
    _, problems = check_directory(root)
    assert [(p.file, p.field) for p in problems] == [("services/s11.yaml", "line 3, column 1")]
    assert problems[0].message.startswith("YAML syntax")


def test_a_side_process_runs_in_another_interpreter_and_falls_back_to_this_one(monkeypatch):
    assert SideProcess(os.getpid).result() != os.getpid()
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")  # cannot start: runs here
    assert SideProcess(os.getpid).result() == os.getpid()


def test_example_indexes_built_in_a_side_process_are_the_ones_built_here():
    directory = load_directory(KNOWLEDGE)
    sources = [{label: directory.examples[label]} for label in list(directory.examples)[:40]]
    sources.append(directory.danger_examples)
    here, there = build_indexes(sources), SideProcess(build_indexes, sources).result()
    assert len(here) == len(there) == 41
    for mine, theirs in zip(here, there, strict=True):
        assert mine.__dict__.keys() == theirs.__dict__.keys()
        for name in ("_label", "_texts", "_exact", "_lengths"):
            assert getattr(mine, name) == getattr(theirs, name), name
        # The words' postings stand in one array in the order of a set of words, which string
        # hashing orders differently in every interpreter: compared word by word.
        assert mine._postings.keys() == theirs._postings.keys()
        for word, (start, end, idf) in mine._postings.items():
            other_start, other_end, other_idf = theirs._postings[word]
            assert idf == other_idf
            assert mine._ids[start:end].tolist() == theirs._ids[other_start:other_end].tolist()
        assert theirs.neighbours("wo kann ich deutsch lernen in hagen") == mine.neighbours(
            "wo kann ich deutsch lernen in hagen"
        )


def test_a_matcher_over_the_bundled_examples_builds_their_indexes_in_a_side_process(
    monkeypatch,
):
    started = []

    class Recorded(SideProcess):
        def __init__(self, function, *args):
            started.append(function.__name__)
            super().__init__(function, *args)

    monkeypatch.setattr(matching, "SideProcess", Recorded)
    matcher = matching.Matcher(load_directory(KNOWLEDGE))
    assert started == ["build_indexes"]
    assert len(matcher.examples) > 10_000 and matcher.danger_signals("ich will nicht mehr leben")


# ---- needs and the danger lexicon ----------------------------------------------------------


def _with_vocabulary(root, needs_yaml: str, phrases: dict[str, str], danger: dict[str, str]):
    (root / "needs.yaml").write_text(needs_yaml, "utf-8")
    (root / "needs").mkdir(exist_ok=True)
    for lang, text in phrases.items():
        (root / "needs" / f"{lang}.yaml").write_text(text, "utf-8")
    (root / "danger.yaml").write_text(
        "medical:\n  label: {de: Notfall}\n  lines: [notruf]\n", "utf-8"
    )
    (root / "danger").mkdir(exist_ok=True)
    for lang, text in danger.items():
        (root / "danger" / f"{lang}.yaml").write_text(text, "utf-8")
    return root


NEEDS = (
    "- id: food-bank\n  category: food\n  label: {de: Lebensmittel}\n  official: [Tafelausweis]\n"
    "- id: kita-place\n  category: food\n  label: {de: Kitaplatz}\n"
)


def test_services_inherit_the_phrases_of_their_needs(tmp_path):
    services = copy.deepcopy(TINY_SERVICES)
    services["tafel"]["needs"] = ["food-bank"]
    services["tafel"]["keywords"] = {}
    root = _with_vocabulary(
        write_directory(tmp_path / "k", services),
        NEEDS,
        {"tr": "food-bank: [ucuz yiyecek, gıda bankası]\n"},
        {"de": "medical: [bewusstlos]\n"},
    )
    from bot.matching import Matcher

    matcher = Matcher(load_directory(root))
    assert matcher.match("ucuz yiyecek nerede", "tr").matches[0].service_id == "tafel"
    assert matcher.match("tafelausweis", "pl").matches[0].service_id == "tafel"
    result = matcher.match("er ist bewusstlos", "de")
    assert result.danger == ("medical",) and result.matches[0].service_id == "notruf"


def test_check_reports_unknown_needs_and_bad_danger_phrases(tmp_path):
    services = copy.deepcopy(TINY_SERVICES)
    services["tafel"]["needs"] = ["no-such-need"]
    root = _with_vocabulary(
        write_directory(tmp_path / "k", services),
        NEEDS + "  eligible: [citizens-income]\n",
        {"de": "food-bank: [essen umsonst]\nnope: [x]\n", "xx": "food-bank: [y]\n"},
        {"de": "medical: [to*t]\nfire: [rauch]\n"},
    )
    _, problems = check_directory(root)
    text = "\n".join(str(p) for p in problems)
    assert "services/tafel.yaml: needs[0]: unknown need 'no-such-need'" in text
    assert "needs/de.yaml: nope: unknown need" in text
    assert "needs.yaml: kita-place.eligible: unknown need 'citizens-income'" in text
    assert "needs/xx.yaml: -: unknown language" in text
    assert "danger/de.yaml: medical[0]: '*' only at the end" in text
    assert "danger/de.yaml: fire: unknown signal" in text


def test_check_warns_about_generic_phrases_and_needs_nobody_serves(tmp_path):
    services = copy.deepcopy(TINY_SERVICES)
    services["tafel"]["needs"] = ["food-bank"]
    root = _with_vocabulary(
        write_directory(tmp_path / "k", services),
        NEEDS,
        {
            "de": "food-bank: [arbeit, essen umsonst, § 24, '112', wo kann ich bleiben]\n"
            "kita-place: [kitaplatz]\n"
        },
        {
            "de": "medical: [bewusstlos, 'liegt bewusstlos|liegt am boden', "
            "'er atmet nicht er atmet kaum']\n"
        },
    )
    language = "greetings: {de: [hallo]}\nthanks: {de: [danke]}\nstopwords: {de: [wo, kann, ich]}\n"
    (root / "language.yaml").write_text(language, "utf-8")
    out = io.StringIO()
    assert main(["check", str(root)], out=out) == 0
    text = out.getvalue()
    assert "kita-place: no service serves this need yet" in text
    assert "'arbeit' is an everyday word" in text
    assert "'§ 24' is only a short number" in text
    assert "'wo kann ich bleiben' is only 'bleiben'" in text
    assert "'112' is only" not in text  # a phone number people ask about
    # "liegt bewusstlos|liegt am boden" is read as liegt / bewusstlos|liegt / am / boden
    assert "medical: 'liegt bewusstlos|liegt am boden': 'liegt' stands in two neighbouring" in text
    assert "er atmet" not in text  # words repeated on purpose, not as alternatives


def test_a_topic_lists_112_then_110_before_other_urgent_lines(hagen):
    for category in hagen.categories:
        services = hagen.services_in(category.id)
        ids = [s.id for s in services]
        if "notruf-112" in ids:
            assert ids[0] == "notruf-112", (category.id, ids)
        if "polizei-110" in ids:
            assert ids.index("polizei-110") == (1 if "notruf-112" in ids else 0), (category.id, ids)
