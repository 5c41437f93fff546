"""Scale benchmark: a generated directory of N services over the bundled needs and danger lexicon.
Measures reading + validating + indexing, and matching latency per question.

python benchmarks/scale.py [--services 300 10000] [--repeat 3] [--seed 1] [--cold-runs 3]

"cold" is the first build in a fresh process, as at the bot's start (word-frequency tables and
word caches still empty), the median of --cold-runs such processes; "reload" a later build in
the same process, as on /reload or SIGHUP.

The generated services are copies of the bundled ones with invented names (from a word pool in
several languages), each serving 1–4 random needs and carrying two brand keywords, written as
YAML files like a coordinator's; the questions are two development sets (dev and dev3).
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.directory import load_directory  # noqa: E402
from bot.matching import Matcher  # noqa: E402
from bot.quality import load_questions  # noqa: E402

SYLLABLES = ["ka", "ro", "mi", "sel", "tan", "vor", "lu", "bek", "ost", "nar", "fil", "zu", "dem"]
WORDS = {
    "de": ["Beratung", "Treff", "Hilfe", "Zentrum", "Verein", "Haus", "Stelle", "Dienst"],
    "tr": ["danışma", "merkez", "yardım", "dernek", "ev", "servis"],
    "en": ["advice", "centre", "help", "club", "house", "service"],
    "ru": ["консультация", "центр", "помощь", "клуб", "дом", "служба"],
    "ar": ["استشارة", "مركز", "مساعدة", "نادي", "بيت", "خدمة"],
}


def invented_word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def generate(target: Path, services: int, rng: random.Random) -> None:
    shutil.copytree(ROOT / "knowledge", target, ignore=shutil.ignore_patterns("services"))
    (target / "services").mkdir()
    bundled = load_directory(ROOT / "knowledge")
    need_ids = [n.id for n in bundled.vocabulary.needs]
    categories = [c.id for c in bundled.categories]
    for path in sorted((ROOT / "knowledge" / "services").glob("*.yaml")):
        shutil.copy(path, target / "services" / path.name)
    for number in range(services - len(bundled.services)):
        brand = invented_word(rng)
        name = {
            lang: f"{brand} {rng.choice(words)} {invented_word(rng)}"
            for lang, words in WORDS.items()
        }
        data = {
            "id": f"gen-{number}",
            "name": name,
            "description": {"de": f"Ein erfundener Dienst ({brand}).", "en": "An invented one."},
            "keywords": {"de": [brand.lower(), f"{brand.lower()} {invented_word(rng).lower()}"]},
            "needs": rng.sample(need_ids, rng.randint(1, 4)) if need_ids else [],
            "categories": [rng.choice(categories)],
            "address": {"street": f"{invented_word(rng)}straße {rng.randint(1, 99)}"},
            "phone": [f"02331 {rng.randint(100, 999)}-{rng.randint(10, 99)}"],
            "source": "https://example.org/generated",
            "verified": "2026-11-25",
        }
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        (target / "services" / f"gen-{number}.yaml").write_text(text, encoding="utf-8")


def percentile(sorted_values: list[float], q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def build(root: Path) -> tuple[Matcher, int, float, float]:
    """Read and index a directory: (matcher, services, seconds reading, seconds indexing)."""
    started = time.perf_counter()
    directory = load_directory(root)
    loaded = time.perf_counter()
    matcher = Matcher(directory)
    return matcher, len(directory.services), loaded - started, time.perf_counter() - loaded


def cold_build(root: Path, runs: int) -> tuple[float, float, list[float]]:
    """The same in fresh Python processes: the run with the median total (reading, indexing)
    and every run's total, since runs on a 2-core machine vary by a second."""
    found = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, __file__, "--cold", str(root)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        found.append((float(out[0]), float(out[1])))
    found.sort(key=sum)
    read, indexed = found[len(found) // 2]
    return read, indexed, [sum(run) for run in found]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, nargs="+", default=[300, 10_000])
    parser.add_argument("--repeat", type=int, default=3, help="timing rounds over the questions")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cold-runs", type=int, default=3, help="fresh processes per size")
    parser.add_argument("--cold", type=Path, help=argparse.SUPPRESS)  # see cold_build
    args = parser.parse_args()
    if args.cold:
        _, _, read, indexed = build(args.cold)
        print(read, indexed)
        return 0

    questions = load_questions(ROOT / "tests" / "questions.yaml") + load_questions(
        ROOT / "tests" / "dev3"
    )
    sizes = " ".join(str(n) for n in args.services)
    print(
        f"$ python benchmarks/scale.py --services {sizes} --repeat {args.repeat} "
        f"--cold-runs {args.cold_runs}"
    )
    for size in args.services:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "knowledge"
            generate(root, size, random.Random(args.seed))
            cold_read, cold_index, cold_totals = cold_build(root, args.cold_runs)
            build(root)  # this process's first build: fills the word caches
            matcher, services, read, indexed = build(root)
            gc.collect()
            gc.freeze()  # as the bot does after building its index (bot/runtime.py)
        for item in questions:  # warm-up: word caches (stems, frequencies) fill as in a running bot
            matcher.match(item.text, item.lang)
        timings = []
        for _ in range(args.repeat):
            for item in questions:
                t0 = time.perf_counter()
                matcher.match(item.text, item.lang)
                timings.append((time.perf_counter() - t0) * 1000)
        timings.sort()
        print(
            f"{services:6} services: cold (median of {len(cold_totals)}): read+validated "
            f"{cold_read:4.2f} s, indexed {cold_index:4.2f} s, "
            f"total {cold_read + cold_index:4.2f} s ({' '.join(f'{t:.2f}' for t in cold_totals)}); "
            "reload: total "
            f"{read + indexed:4.2f} s; "
            f"match ({len(timings)} runs) p50 {percentile(timings, 0.5):.2f} ms, "
            f"p99 {percentile(timings, 0.99):.2f} ms, "
            f"max {timings[-1]:.2f} ms, mean {statistics.fmean(timings):.2f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
