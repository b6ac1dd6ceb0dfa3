"""Reading import files: CSV cells become the JSON values the event fields expect, and
unreadable lines are reported by line number."""

from __future__ import annotations

import pytest

from engine.profiles.ingest import importer
from engine.profiles.ingest.events import parse


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("amount", "12.50", 12.5),
        ("stars", "4", 4),
        ("loyalty_points", " 300 ", 300),
        ("prediction_opt_out", "TRUE", True),
        ("contact_opt_out", "0", False),
        ("phones", "138 0013 8000; +86 139 0000 0000", ["138 0013 8000", "+86 139 0000 0000"]),
        ("complaint_words", '["slow", "refund"]', ["slow", "refund"]),
        ("at", "1735689600", 1735689600.0),
        ("at", "2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
        ("subject", "anything, really", "anything, really"),
    ],
)
def test_cells(name, text, value):
    assert importer.cell(name, text) == value


@pytest.mark.parametrize(
    ("name", "text"), [("stars", "five"), ("amount", "12,5"), ("prediction_opt_out", "maybe")]
)
def test_bad_cells(name, text):
    with pytest.raises(ValueError):
        importer.cell(name, text)


def test_csv_rows_become_envelopes(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "id,type,customer_id,at,source,name,phones,order_id,amount,stars\n"
        "e1,customer.updated,C1,2025-01-01T08:00:00+08:00,crm,王芳,13800138000;0101234567,,,\n"
        "e2,order.placed,C1,1735700000,shop,,,A1,99.5,\n"
        "e3,rating,C1,,,,,,,five\n"
        "e4,rating,C1,,,,,,,5,extra\n",
        encoding="utf-8",
    )
    lines = list(importer.csv_lines(path))
    assert [n for n, _ in lines] == [2, 3, 4, 5]
    (_, first), (_, second), (_, third), (_, fourth) = lines
    assert first == {
        "id": "e1",
        "type": "customer.updated",
        "customer_id": "C1",
        "at": "2025-01-01T08:00:00+08:00",
        "source": "crm",
        "data": {"name": "王芳", "phones": ["13800138000", "0101234567"]},
    }
    assert parse(first, 0).data["phones"] == ["13800138000", "0101234567"]
    assert second["data"] == {"order_id": "A1", "amount": 99.5} and second["at"] == 1735700000
    assert third.startswith("data.stars: cannot read 'five'")
    assert "more cells" in fourth


def test_csv_needs_id_and_type_columns(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("customer_id,at\nC1,1\n", encoding="utf-8")
    assert list(importer.csv_lines(path)) == [(1, "header: missing column(s) id, type")]


def test_jsonl_lines_numbered_and_bad_json_reported(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"id": "a"}\n\n{broken\n{"id": "b"}\n', encoding="utf-8")
    lines = list(importer.jsonl_lines(path))
    assert [n for n, _ in lines] == [1, 3, 4]
    assert lines[1][1].startswith("event: not valid JSON")
