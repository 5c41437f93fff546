"""The coordinators' learning loop: questions the bot could not answer are kept anonymously for
30 days, grouped for review (`lotse review`), and a phrase is taught to a need or a service, or a
whole question as an example of a service (`lotse teach`), validated, ready for /reload. Pure
code plus plain file edits.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rapidfuzz import fuzz

from .directory import LANGUAGES, Directory, check_directory
from .examples import NO_DANGER
from .textnorm import raw_tokens

KEEP_DAYS = 30
MAX_TEXT = 300
_EMAIL = re.compile(r"\S+@\S+")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_NUMBER = re.compile(r"\d[\d\s/().+-]{2,}\d|\d{3,}")
SIMILAR = 60  # token-set similarity at which two questions count as one theme


def scrub(text: str) -> str:
    """What is kept of an unanswered question: no e-mail, no link, no phone or case number."""
    text = _EMAIL.sub("[e-mail]", text[: MAX_TEXT * 2])
    text = _URL.sub("[link]", text)
    text = _NUMBER.sub("[nr]", text)
    return " ".join(text.split())[:MAX_TEXT]


@dataclass
class Theme:
    need: str | None
    texts: list[str] = field(default_factory=list)
    langs: Counter[str] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return len(self.texts)


def group(rows: Sequence[tuple[str, str | None, str]]) -> list[Theme]:
    """(lang, need, text) rows -> themes, biggest first. Questions with the same half-recognised
    need form one theme; the rest are grouped greedily by shared words."""
    themes: list[Theme] = []
    by_need: dict[str, Theme] = {}
    loose: list[tuple[Theme, str]] = []
    for lang, need, text in rows:
        if need:
            theme = by_need.setdefault(need, Theme(need))
            if theme not in themes:
                themes.append(theme)
        else:
            words = " ".join(sorted(set(raw_tokens(text))))
            theme = next(
                (t for t, key in loose if fuzz.token_set_ratio(words, key) >= SIMILAR), None
            )
            if theme is None:
                theme = Theme(None)
                themes.append(theme)
                loose.append((theme, words))
        theme.texts.append(text)
        theme.langs[lang] += 1
    return sorted(themes, key=lambda t: -t.count)


# ---- teaching ---------------------------------------------------------------------------------


class TeachError(Exception):
    pass


def _yaml_string(phrase: str) -> str:
    """A phrase as a YAML flow-list item: plain when safe, double-quoted (JSON) otherwise."""
    plain = re.fullmatch(r"[^\W\d_][\w' .-]*", phrase) and not phrase.endswith(":")
    return phrase if plain else json.dumps(phrase, ensure_ascii=False)


def _add_to_flow_line(lines: list[str], index: int, phrase: str) -> None:
    line = lines[index].rstrip("\n")
    if not line.rstrip().endswith("]"):
        raise TeachError(f"line {index + 1} is not a one-line list like `key: [a, b]`")
    body = line.rstrip()[:-1].rstrip()
    separator = "" if body.endswith("[") else ", "
    lines[index] = f"{body}{separator}{_yaml_string(phrase)}]\n"


def teach_need(root: Path, need_id: str, lang: str, phrase: str) -> Path:
    """Add a phrase to knowledge/needs/<lang>.yaml; the directory must stay valid."""
    directory = _valid_directory(root)
    if directory.vocabulary.need(need_id) is None:
        raise TeachError(f"unknown need {need_id!r}")
    existing = directory.vocabulary.phrases.get(need_id, {}).get(lang, ())
    if phrase.casefold() in (p.casefold() for p in existing):
        raise TeachError(f"{phrase!r} is already a phrase of {need_id} in {lang}")
    path = root / "needs" / f"{lang}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True) if path.exists() else []
    index = next((i for i, line in enumerate(lines) if line.startswith(f"{need_id}:")), None)
    if index is None:
        lines.append(f"{need_id}: [{_yaml_string(phrase)}]\n")
    else:
        _add_to_flow_line(lines, index, phrase)
    return _write_checked(root, path, "".join(lines))


def teach_service(root: Path, service_id: str, lang: str, phrase: str) -> Path:
    """Add a name or brand keyword to a service's file; the directory must stay valid."""
    directory = _valid_directory(root)
    if directory.service(service_id) is None:
        raise TeachError(f"unknown service {service_id!r}")
    path = next(
        (
            p
            for p in sorted((root / "services").glob("*.yaml"))
            if re.search(rf"^id:\s*{re.escape(service_id)}\s*$", p.read_text("utf-8"), re.M)
        ),
        None,
    )
    if path is None:
        raise TeachError(f"no file with id {service_id}")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.startswith("keywords:")), None)
    if start is None:
        lines.append(f"keywords:\n  {lang}: [{_yaml_string(phrase)}]\n")
    else:
        stop = _block_end(lines, start)
        index = next(
            (i for i in range(start + 1, stop) if lines[i].lstrip().startswith(f"{lang}:")), None
        )
        if index is None:
            lines.insert(start + 1, f"  {lang}: [{_yaml_string(phrase)}]\n")
        else:
            _add_to_flow_line(lines, index, phrase)
    return _write_checked(root, path, "".join(lines))


EXAMPLES_HEADER = (
    "# Questions residents asked, as they wrote them, and the place that answered each:\n"
    "# service id -> questions. The nearest ones vote for a place (see knowledge/README.md).\n"
)


def teach_example(root: Path, service_id: str, lang: str, question: str) -> tuple[Path, str]:
    """Add a question a resident asked, as an example of a service, to
    knowledge/examples/<lang>.yaml. Kept scrubbed: no e-mail, link, phone or case number."""
    directory = _valid_directory(root)
    if directory.service(service_id) is None:
        raise TeachError(f"unknown service {service_id!r}")
    question = scrub(question)
    known = (q.casefold() for by_lang in directory.examples.values() for q in by_lang.get(lang, ()))
    if question.casefold() in known:
        raise TeachError(f"{question!r} is already an example in {lang}")
    path = root / "examples" / f"{lang}.yaml"
    text = path.read_text(encoding="utf-8") if path.exists() else EXAMPLES_HEADER
    lines = text.splitlines(keepends=True)
    _add_item(lines, service_id, question)
    return _write_checked(root, path, "".join(lines)), question


DANGER_EXAMPLES_HEADER = (
    "# Sentences residents wrote, as they wrote them, and the danger signal each raises – or\n"
    "# none, for everyday talk. See knowledge/README.md.\n"
)


def learn_from_sets(root: Path, paths: Sequence[Path]) -> dict[str, int]:
    """Add the labelled questions of scored sets (the tests' YAML format) as examples: a
    question under the first place expected for it, a danger sentence under its signal, and
    what no place answers (out of scope, greetings, everyday sentences) as everyday talk among
    the danger examples. Texts already there are skipped; one check for all, all or nothing.
    The count added per folder."""
    items: list[tuple[str, str, str, str]] = []  # (folder, key, lang, text)
    for path in paths:
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        for file in files:
            for item in yaml.safe_load(file.read_text(encoding="utf-8")) or []:
                lang, text = str(item["lang"]), str(item["q"])  # scrub() joins the spaces
                if "signal" in item:
                    items.append(("danger/examples", str(item["signal"]), lang, text))
                elif isinstance(item.get("expect"), list) and item["expect"]:
                    items.append(("examples", str(item["expect"][0]), lang, text))
                else:
                    items.append(("danger/examples", NO_DANGER, lang, text))
    texts: dict[Path, str] = {}
    added: Counter[str] = Counter()
    for (folder, lang), group_items in _grouped(items).items():
        path = root / folder / f"{known_language(lang)}.yaml"
        header = EXAMPLES_HEADER if folder == "examples" else DANGER_EXAMPLES_HEADER
        before = path.read_text(encoding="utf-8") if path.exists() else header
        lines = before.splitlines(keepends=True)
        known = {t.casefold() for ts in (yaml.safe_load(before) or {}).values() for t in ts or ()}
        for key, text in group_items:
            text = scrub(text)
            if not text or text.casefold() in known:
                continue
            known.add(text.casefold())
            _add_item(lines, key, text)
            added[folder] += 1
        texts[path] = "".join(lines)
    _write_all_checked(root, texts, "not learnt")
    return dict(added)


def _grouped(
    items: Sequence[tuple[str, str, str, str]],
) -> dict[tuple[str, str], list[tuple[str, str]]]:
    grouped: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for folder, key, lang, text in items:
        grouped.setdefault((folder, lang), []).append((key, text))
    return grouped


def _add_item(lines: list[str], key: str, text: str) -> None:
    """`text` as the last item under `key:` (a new key at the end)."""
    item = f"  - {json.dumps(text, ensure_ascii=False)}\n"
    start = next((i for i, line in enumerate(lines) if line.rstrip() == f"{key}:"), None)
    if start is None:
        lines += [f"{key}:\n", item]
    else:
        lines.insert(_block_end(lines, start), item)


def _write_all_checked(root: Path, texts: dict[Path, str], refusal: str) -> None:
    """Write the files, then check the whole directory; on a problem every file is as before."""
    before = {path: path.read_text(encoding="utf-8") if path.exists() else None for path in texts}
    for path, text in texts.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    directory, problems = check_directory(root)
    if directory is None:
        for path, text in before.items():
            if text is None:
                path.unlink()
            else:
                path.write_text(text, encoding="utf-8")
        raise TeachError(f"{refusal}, the directory would have problems: {problems[0]}")


def _block_end(lines: list[str], start: int) -> int:
    """The index after the indented lines that follow the key on line `start`."""
    return next(
        (i for i in range(start + 1, len(lines)) if not lines[i].startswith((" ", "\t"))),
        len(lines),
    )


def _valid_directory(root: Path) -> Directory:
    directory, _ = check_directory(root)
    if directory is None:
        raise TeachError("the directory has problems; run `lotse check` first")
    return directory


def _write_checked(root: Path, path: Path, text: str) -> Path:
    _write_all_checked(root, {path: text}, "not taught")
    return path


def known_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise TeachError(f"unknown language {lang!r}; use one of {' '.join(LANGUAGES)}")
    return lang
