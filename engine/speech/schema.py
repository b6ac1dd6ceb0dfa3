"""The transcripts table (``Migrations("transcripts")``, applied at engine start).

One row per final (caller or agent, IVR grammar or free-form): the call, the leg's role,
the text, when it was said (``at``, epoch seconds; ``start``/``end`` in seconds of the
leg's audio), the menu and the IVR's decision (``intent`` routed, or ``confirm``: the
intent the caller was asked to confirm, "did you mean...?"; neither: no match) with the
match's ``confidence``, the words with their timing, and for caller utterances the
emotion score and label. The caller's answer to that "did you mean...?" is a row of its
own (no text): ``answer`` (yes, no), ``answered_by`` (key:1, say:yes, say:no, timeout)
and ``led_to`` (queue:<name>, menu:<name>). ``store.py`` writes and reads the rows.
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Float, Index, Integer, MetaData, Table, Text

from engine.store.migrations import Migrations, add_column, create_tables

metadata = MetaData()
migrations = Migrations("transcripts")
transcripts = Table(
    "transcripts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("call_id", Text),
    Column("role", Text),
    Column("lang", Text),
    Column("text", Text),
    Column("at", Float),
    Column("start", Float),
    Column("end", Float),
    Column("menu", Text),
    Column("intent", Text),
    Column("confirm", Text),
    Column("confidence", Float),
    Column("words", Text),
    Column("emotion_score", Float),
    Column("emotion_label", Text),
    Column("answer", Text),
    Column("answered_by", Text),
    Column("led_to", Text),
    Index("idx_transcripts_call_id_at", "call_id", "at"),
)
COLUMNS = frozenset(transcripts.c.keys()) - {"id"}


@migrations()
def m001_transcripts(conn: Connection) -> None:
    create_tables(conn, transcripts)


@migrations()
def m002_transcripts_confirm(conn: Connection) -> None:
    """The IVR's "did you mean...?" and the match's confidence (issue 16)."""
    add_column(conn, transcripts, "confirm")
    add_column(conn, transcripts, "confidence")


@migrations()
def m003_transcripts_answer(conn: Connection) -> None:
    """The caller's answer to a confirmation: yes or no, by key or voice, and where it led."""
    for column in ("answer", "answered_by", "led_to"):
        add_column(conn, transcripts, column)
