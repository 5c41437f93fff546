"""Stored data is protected: file modes, erasure that really erases, retention that cannot be
undone by a join, statistics that one person cannot inflate, and the operator's mistakes
(`lotse chat` in the deployment folder, two processes, a readable .env) caught at start."""

from __future__ import annotations

import io
import logging
import os
from datetime import UTC, datetime, timedelta

import pytest

from bot.cli import main, quiet_libraries
from bot.config import Settings
from bot.deployment import AlreadyRunning, hold_database
from bot.inbox import Inbox
from bot.store import Store

SECRET = "Geheimwort Zebrafink 4711"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
async def store(tmp_path):
    # Closed even when a test fails: an open aiosqlite thread would keep pytest from exiting.
    opened = await Store.open(tmp_path / "lotse.sqlite3")
    yield opened
    await opened.close()


@pytest.fixture
def relaxed_umask():
    previous = os.umask(0o022)  # a typical server default: files readable by everyone
    yield
    os.umask(previous)


async def test_the_database_and_its_wal_are_readable_by_the_owner_only(
    tmp_path, relaxed_umask, store
):
    await store.set_language(1, "de")
    path = tmp_path / "lotse.sqlite3"
    for file in (path, tmp_path / "lotse.sqlite3-wal", tmp_path / "lotse.sqlite3-shm"):
        assert file.stat().st_mode & 0o777 == 0o600, file


async def test_erased_words_are_gone_from_the_database_file_and_its_wal(tmp_path, store):
    inbox = Inbox(store)
    case, _ = await inbox.open_case(42, "de", f"Mein Problem: {SECRET}")
    await inbox.add_message(case.id, "in", f"Noch etwas: {SECRET}")
    for number in range(50):  # other residents go on writing meanwhile
        await store.set_language(1000 + number, "de")
    await store.erase_resident(42)
    raw = b"".join(
        file.read_bytes() for file in tmp_path.iterdir() if file.name.startswith("lotse.sqlite3")
    )
    assert SECRET.encode() not in raw


async def test_an_anonymised_case_cannot_be_joined_back_to_its_resident(store):
    inbox = Inbox(store)
    await store.set_language(42, "tr")
    case, _ = await inbox.open_case(42, "tr", "Mein Nachbar ist laut")
    await inbox.add_message(case.id, "out", "Wir rufen an.")
    for item in await inbox.due("9999"):
        await inbox.delivered(item)
    await store.set_language(43, "de")  # the same person, seen by the bot again later
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert await store.anonymise_before(future) == 1
    anonymised = await inbox.require(case.id)
    assert anonymised.anonymised and anonymised.resident_chat_id is None
    case_times = set(
        await store.rows(
            "SELECT created_at FROM cases UNION SELECT updated_at FROM cases "
            "UNION SELECT first_answer_at FROM cases UNION SELECT created_at FROM messages "
            "UNION SELECT delivered_at FROM messages"
        )
    )
    resident_times = set(
        await store.rows(
            "SELECT created_at FROM residents UNION SELECT updated_at FROM residents "
            "UNION SELECT consent_at FROM residents"
        )
    )
    assert not (case_times & resident_times) - {(None,)}
    assert all(str(t[0]).endswith("-01T00:00:00.000+00:00") for t in case_times if t[0])
    # The statistics keep the answer time.
    assert (await store.stats()).median_first_answer_minutes is not None


async def test_idle_residents_without_a_live_case_are_forgotten(store):
    inbox = Inbox(store)
    await store.set_language(1, "de")  # only chose a language
    await inbox.open_case(2, "de", "Frage")  # has a live case
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert await store.expire_residents(later) == 1
    assert await store.resident(1) is None and await store.resident(2) is not None


async def test_feedback_counts_once_per_resident_service_and_day_without_saying_who(store):
    for _ in range(20):  # a forged or repeated press
        await store.log_feedback(7, "vhs-hagen", True)
    await store.log_feedback(7, "vhs-hagen", False)  # the last press counts
    await store.log_feedback(8, "vhs-hagen", True)
    rows = await store.rows("SELECT helpful, voter FROM feedback_log ORDER BY id")
    assert [r[0] for r in rows] == [0, 1]
    assert all(r[1] != "7" and r[1] != "8" for r in rows)
    await store.write(("UPDATE feedback_log SET day = '2000-01-01'", ()))
    await store.forget_voters()
    assert await store.rows("SELECT voter FROM feedback_log WHERE voter IS NOT NULL") == []
    assert await store.value("SELECT COUNT(*) FROM day_keys WHERE day = '2000-01-01'") == 0


def test_a_second_process_on_the_same_database_is_refused(tmp_path, monkeypatch):
    database = tmp_path / "lotse.sqlite3"
    with hold_database(database):
        with pytest.raises(AlreadyRunning):
            hold_database(database)
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
        monkeypatch.setenv("COORDINATOR_USER_IDS", "1")
        monkeypatch.setenv("LOTSE_DATABASE", str(database))
        code, _, err = run("run")
        assert code == 2 and "another Quartierslotse process" in err
    hold_database(database).close()  # free again once the holder is gone


def test_lotse_chat_refuses_the_configured_bots_database(tmp_path, monkeypatch):
    database = tmp_path / "prod.sqlite3"
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("LOTSE_DATABASE", str(database))
    code, _, err = run("chat", "--db", str(database))
    assert code == 2 and "take over its outbox" in err


def test_lotse_chat_uses_its_own_database_by_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOTSE_DATABASE", str(tmp_path / "prod.sqlite3"))
    monkeypatch.setattr("sys.stdin", io.StringIO("deutschkurs\n!quit\n"))
    code, out, _ = run("chat")
    assert code == 0 and "Volkshochschule" in out
    assert (tmp_path / "lotse-chat.sqlite3").exists()
    assert not (tmp_path / "prod.sqlite3").exists()


def test_a_dotenv_in_the_current_directory_is_not_read(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BASE_URL", raising=False)
    (tmp_path / ".env").write_text("TELEGRAM_BASE_URL=http://attacker.example/bot\n")
    assert "attacker" not in Settings.from_env().telegram_base_url


def test_an_env_file_others_can_read_is_warned_about(tmp_path, monkeypatch):
    env_file = tmp_path / "lotse.env"
    env_file.write_text("LOTSE_LOG_LEVEL=INFO\n")
    env_file.chmod(0o644)
    monkeypatch.setenv("LOTSE_DATABASE", str(tmp_path / "x.sqlite3"))
    assert "chmod 600" in run("--env-file", str(env_file), "inbox")[2]
    env_file.chmod(0o600)
    assert "chmod" not in run("--env-file", str(env_file), "inbox")[2]


def test_routine_library_chatter_is_not_logged():
    quiet_libraries()
    assert not logging.getLogger("apscheduler.executors.default").isEnabledFor(logging.INFO)
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    record = logging.LogRecord(
        "apscheduler.scheduler",
        logging.WARNING,
        "",
        0,
        'Execution of job "outbox" skipped: maximum number of running instances reached (1)',
        None,
        None,
    )
    assert not logging.getLogger("apscheduler.scheduler").filter(record)


async def test_a_question_repeated_the_same_day_is_counted_once(bot):
    resident = bot.user(user_id=321)
    for _ in range(5):
        await bot.say(resident, "Wo gibt es einen Deutschkurs?")
    await bot.say(resident, "wo gibt es  einen deutschkurs?")  # the same, typed again
    await bot.say(bot.user(user_id=322), "Wo gibt es einen Deutschkurs?")  # someone else
    assert await bot.runtime.db.value("SELECT COUNT(*) FROM question_log") == 2
