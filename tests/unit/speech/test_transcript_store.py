"""Stored transcripts keep the IVR's decision, on SQLite and PostgreSQL: a final the menu
was unsure of is stored with the intent the caller was asked to confirm and the match's
confidence (issue 16), the caller's answer with how it was given and where it led, and a
store made before these columns gets them on start."""

from __future__ import annotations

import pytest

from engine.calls import actions as a
from engine.schemas import MIGRATIONS
from engine.speech import messages
from engine.speech.results import Transcript
from engine.speech.store import TranscriptStore
from engine.store.database import Database
from tests.storedb import execute

UNSURE = Transcript(
    "c1-hear-caller-1",
    "caller",
    "zh",
    "final",
    "网络连不上",
    0.5,
    1.6,
    started_at=0.0,
    menu="main",
    confirm="technical",
    confidence=0.62,
)
ROUTED = Transcript(
    "c1-hear-caller-1",
    "caller",
    "zh",
    "final",
    "技术支持",
    4.0,
    4.8,
    started_at=0.0,
    menu="main",
    intent="technical",
    confidence=0.97,
)
MISSED = Transcript("c1-hear-caller-1", "caller", "zh", "final", "你好", 8.0, 8.5, 0.0, menu="main")


def _before_the_confirm_column(target: str) -> None:
    """The store as an engine of an earlier release left it: no ``confirm``,
    ``confidence`` or answer columns, their steps not recorded."""
    db = Database(target, MIGRATIONS).open_sync()
    try:
        for column in ("confirm", "confidence", "answer", "answered_by", "led_to"):
            db.run_sync(execute, f"ALTER TABLE transcripts DROP COLUMN {column}")
        for step in ("m002_transcripts_confirm", "m003_transcripts_answer"):
            db.run_sync(
                execute,
                "DELETE FROM schema_migrations WHERE migration_set = ? AND name = ?",
                "transcripts",
                step,
            )
        db.run_sync(
            execute,
            "INSERT INTO transcripts (call_id, role, text, at, menu, intent) "
            "VALUES ('old', 'caller', '技术支持', 1.0, 'main', 'technical')",
        )
    finally:
        db.close_sync()


@pytest.fixture
async def store(store_target):
    _before_the_confirm_column(store_target)
    db = await Database(store_target, MIGRATIONS).open()
    yield TranscriptStore(db)
    await db.close()


async def test_the_menu_decision_is_stored_with_the_confirmation_asked(store):
    await store.add([messages.segment("c1", t, 1000.0 + t.start) for t in (UNSURE, ROUTED, MISSED)])
    rows = await store.for_call("c1")
    decisions = [(r["text"], r["intent"], r["confirm"], r["confidence"]) for r in rows]
    assert decisions == [
        ("网络连不上", None, "technical", 0.62),
        ("技术支持", "technical", None, 0.97),
        ("你好", None, None, None),
    ]
    (old,) = await store.for_call("old")  # a row from before the step is kept, unknowns empty
    assert (old["intent"], old["confirm"], old["confidence"]) == ("technical", None, None)


SAID_NO = Transcript(
    "c2-hear-caller-1", "caller", "zh", "final", "不是", 3.0, 3.4, 0.0, menu="main"
)


def _answer(call: str, answer: str, by: str, led_to: str, at: float) -> dict[str, object]:
    note = a.RecordAnswer(call, "zh", "main", "technical", answer, by, led_to, at)
    return messages.answer_segment(note)


async def test_the_answer_to_the_question_is_stored_with_where_it_led(store):
    """Key 1 after "您是要技术支持吗？", and a spoken no: each a row of its own after the
    question's final (a spoken answer's words are the final just before it)."""
    await store.add(
        [
            messages.segment("c1", UNSURE, 1000.5),
            _answer("c1", "yes", "key:1", "queue:technical", 1003.0),
            messages.segment("c2", UNSURE, 2000.5),
            messages.segment("c2", SAID_NO, 2003.0),
            _answer("c2", "no", "say:no", "menu:main", 2003.6),
        ]
    )

    def seen(rows):
        return [
            (r["text"], r["intent"], r["confirm"], r["answer"], r["answered_by"], r["led_to"])
            for r in rows
        ]

    assert seen(await store.for_call("c1")) == [
        ("网络连不上", None, "technical", None, None, None),
        (None, "technical", "technical", "yes", "key:1", "queue:technical"),
    ]
    rows = await store.for_call("c2")
    assert seen(rows) == [
        ("网络连不上", None, "technical", None, None, None),
        ("不是", None, None, None, None, None),
        (None, None, "technical", "no", "say:no", "menu:main"),
    ]
    assert messages.conversation(rows) == "", "menu finals and answers stay out of the text"
    (old,) = await store.for_call("old")  # a row from before the step: no answer
    assert (old["answer"], old["answered_by"], old["led_to"]) == (None, None, None)
