"""The fast YAML reader gives exactly what PyYAML's safe loader gives."""

from pathlib import Path

import pytest
import yaml

from bot.yamlread import load_yaml

KNOWLEDGE = Path(__file__).parent.parent / "knowledge"


def test_every_knowledge_file_reads_as_pyyaml_reads_it():
    files = sorted(KNOWLEDGE.rglob("*.yaml"))
    assert len(files) > 100
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert load_yaml(text) == yaml.safe_load(text), path


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\nb: 1.5\nc: true\nd: ~\ne: 2026-11-25\nf: '12'\ng: \"yes\"\nh: no\ni: 0x1F\n",
        "- [1, two, {x: null}]\n- ''\n- 02331 207-0\n- +49 2331\n- .inf\n- -3\n",
        "base: &b {x: 1}\ncopy: *b\n",  # anchors and aliases
        "base: &b {x: 1}\nmerged: {<<: *b, y: 2}\n",  # a merge key
        "tagged: !!str 12\nset: !!set {a, b}\n",
        "~: null key\n",
        "",
        "just text",
    ],
)
def test_rare_and_typed_values_read_as_pyyaml_reads_them(text):
    assert load_yaml(text) == yaml.safe_load(text)


def test_a_syntax_error_is_pyyamls_error_with_its_line():
    with pytest.raises(yaml.MarkedYAMLError) as error:
        load_yaml("id: a\nname: [unclosed\nphone: 1\n")
    assert error.value.problem_mark is not None
