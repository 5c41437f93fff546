"""The directory format: loading, fallbacks and the validator behind `lotse check`."""

from __future__ import annotations

import copy
import io
from datetime import date, time

from conftest import KNOWLEDGE, TINY_SERVICES, write_directory

from bot.cli import main
from bot.directory import check_directory, load_directory, pick


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
    assert any(line.startswith("services/junk.yaml: -: cannot read YAML") for line in lines)


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
    assert "de            2             1         2" in report.replace("  ", "  ")
    assert "note: notruf: verified 2020-01-01" in report
