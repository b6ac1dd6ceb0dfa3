"""Manual campaign CSV: bad lines are reported by line number and skipped; good ones kept."""

from engine.dialer.campaigns.csvfile import normalise_number, parse

GOOD_AND_BAD = """number,customer_id,timezone,priority,name
+86 138-0013-8000,c1,Asia/Shanghai,5,Chen Jing
12,c2,,,
13900000002,c3,Mars/Olympus,1,Nobody
13900000003,c4,Europe/London,high,Li
13900000004,,,,
+86 138-0013-8000,c5,,,Again
13900000005,c6,UTC,2,Wang,extra
,c7,,,

13900000006,c8,America/New_York,-1,"Smith, Ann"
"""


def test_bad_lines_reported_by_number_good_ones_kept():
    rows, errors = parse(GOOD_AND_BAD)
    assert [r.number for r in rows] == ["+8613800138000", "13900000004", "13900000006"]
    assert [r.line for r in rows] == [2, 6, 11]  # line 10 is blank
    first, bare, quoted = rows
    assert (first.customer_id, first.timezone, first.priority, first.name) == (
        "c1",
        "Asia/Shanghai",
        5.0,
        "Chen Jing",
    )
    assert (bare.customer_id, bare.timezone, bare.priority, bare.name) == (None, None, 0.0, None)
    assert quoted.name == "Smith, Ann" and quoted.priority == -1.0
    reasons = {e.line: e.reason for e in errors}
    assert sorted(reasons) == [3, 4, 5, 7, 8, 9]
    assert "'12' is not a phone number" in reasons[3]
    assert "Mars/Olympus" in reasons[4] and "time zone" in reasons[4]
    assert "priority 'high'" in reasons[5]
    assert "repeats line 2" in reasons[7]
    assert "6 fields" in reasons[8]
    assert reasons[9] == "number is empty"


def test_no_header_and_a_byte_order_mark():
    rows, errors = parse("\ufeff13800000001\n13800000002,c2\n")
    assert [r.number for r in rows] == ["13800000001", "13800000002"] and not errors
    assert rows[0].line == 1


def test_number_normalisation():
    assert normalise_number(" (010) 6552-9988 ") == "01065529988"
    assert normalise_number("+44 20 7946 0958") == "+442079460958"
    for bad in ("", "abc", "12", "1" * 21, "++123456"):
        assert normalise_number(bad) is None
