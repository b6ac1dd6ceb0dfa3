"""Reading a CRM export as it comes (issue 16): pure helpers for ``train_data.from_csv``.

- ``decode``: the text of the file's bytes: the named encoding, or the first of UTF-16
  (by its byte-order mark), UTF-8 (with or without BOM), GB18030 (Chinese exports; taken
  only when its high bytes come in pairs, as Chinese text does, so that a Latin-1 "Müller"
  is not read as Chinese) and Latin-1, which decodes anything.
- ``sniff``: the delimiter, the named one or the one of comma, semicolon, tab and bar that
  splits the header and (nearly all of) the first rows into the same number (at least 2)
  of cells.
- ``find_label``: the label column, case-insensitively; the default ``churned`` also finds
  the usual names (``Churn``, ``Exited``, ``Attrition``, ``流失``...).
- ``identifier_reason``: why a column is an identifier and not a feature: named like one
  (``id``, ``customer_id``, ``customerID``, ``客户编号``...), unique text per row, unique
  whole numbers per row, or numbers strictly increasing or decreasing down the file.
"""

from __future__ import annotations

import csv
import difflib
import io
import itertools
import re
from collections.abc import Sequence

from engine.profiles.risk.train import TrainError

ENCODINGS = ("utf-8-sig", "gb18030", "latin-1")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "bar"}
SNIFF_ROWS = 50
EVEN_SHARE = 0.9  # of the sniffed rows must have the header's number of cells
DEFAULT_LABEL = "churned"
LABEL_NAMES = ("churned", "churn", "exited", "attrition", "left", "is_churn", "流失", "是否流失")
ID_TOKENS = {"id", "ids", "uuid", "guid", "key", "no", "nr", "num", "number"}
ID_CJK = ("编号", "编码", "账号", "帐号", "号码", "序号", "身份证", "ID", "Id", "id")
MIN_ROWS_FOR_SHAPE = 50  # the unique/ordered rules need this many rows to mean anything


def decode(raw: bytes, path: str, encoding: str | None = None) -> tuple[str, str]:
    """(text, encoding used); a named encoding that does not fit is a ``TrainError``."""
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except LookupError:
            raise TrainError(f"{path}: unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise TrainError(
                f"{path}: not {encoding} (byte {exc.start}: {exc.reason}); "
                "try --encoding latin-1, gb18030 or utf-8"
            ) from None
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return raw.decode("utf-16"), "utf-16"
    for name in ENCODINGS:
        try:
            text = raw.decode(name)
        except UnicodeDecodeError:
            continue
        if name == "gb18030" and not _paired_high_bytes(raw):
            continue
        return text, "utf-8" if name == "utf-8-sig" else name
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _paired_high_bytes(raw: bytes) -> bool:
    """Chinese text in GB18030 has its bytes >= 0x80 in pairs; Latin-1 text has them alone
    between ASCII letters."""
    high = alone = 0
    for i, b in enumerate(raw):
        if b >= 0x80:
            high += 1
            before = raw[i - 1] if i else 0
            after = raw[i + 1] if i + 1 < len(raw) else 0
            if before < 0x80 and after < 0x80:
                alone += 1
    return high > 0 and alone < 0.2 * high


def sniff(text: str, path: str, delimiter: str | None = None) -> str:
    """The delimiter: named (``,`` ``;`` ``tab`` or one character) or detected."""
    if delimiter:
        named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "bar": "|"}
        d = named.get(delimiter.lower(), delimiter)
        if len(d) != 1:
            raise TrainError(f"--delimiter {delimiter!r}: give one character, or tab")
        return d
    lines = [ln for ln in text.splitlines()[: SNIFF_ROWS + 1] if ln.strip()]
    best, best_cells = "", 1
    for d in DELIMITERS:
        rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=d))
        cells = len(rows[0]) if rows else 0
        even = sum(len(r) == cells for r in rows[1:])
        if cells > best_cells and even >= EVEN_SHARE * (len(rows) - 1):
            best, best_cells = d, cells
    if not best:
        raise TrainError(
            f"{path}: cannot tell how the columns are separated (tried comma, semicolon, tab, "
            "bar: none splits the rows evenly); name it with --delimiter"
        )
    return best


def find_label(header: Sequence[str], label: str | None, path: str) -> str:
    """The header's name of the label column."""
    lower = {h.lower(): h for h in header}
    wanted = [label] if label else list(LABEL_NAMES)
    for name in wanted:
        if name.lower() in lower:
            return lower[name.lower()]
    asked = label or DEFAULT_LABEL
    close = difflib.get_close_matches(asked.lower(), list(lower), n=3, cutoff=0.5)
    hint = f"; close: {', '.join(lower[c] for c in close)}" if close else ""
    shown = ", ".join(header[:30]) + (" ..." if len(header) > 30 else "")
    raise TrainError(f"{path}: no column {asked!r} (name it with --label{hint}; columns: {shown})")


def _named_like_id(name: str) -> bool:
    if any(k in name for k in ID_CJK if not k.isascii()):
        return True
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)  # customerID -> customer ID
    tokens = [t for t in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if t]
    return bool(tokens) and (tokens[-1] in ID_TOKENS or tokens[0] == "id")


def identifier_reason(name: str, values: Sequence[str], numbers: Sequence[float] | None) -> str:
    """Why the column identifies rows ('' when it does not). ``values``: its non-blank
    cells in file order; ``numbers``: the same parsed, when the column is numeric."""
    if _named_like_id(name):
        return "identifier (named like an ID)"
    if len(values) < MIN_ROWS_FOR_SHAPE:
        return ""
    unique = len(set(values)) == len(values)
    if numbers is None:
        return "identifier (unique text per row)" if unique else ""
    if unique and all(float(v).is_integer() for v in numbers):
        return "identifier (a different whole number on every row)"
    pairs = list(itertools.pairwise(numbers))
    if all(a < b for a, b in pairs) or all(a > b for a, b in pairs):
        return "identifier (numbers in order down the file)"
    return ""
