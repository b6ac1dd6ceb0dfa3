"""Phone numbers as the profile store keeps them, and the forms a caller ID may take.

Stored numbers are normalised to digits with an optional leading ``+`` (``00`` as an
international prefix becomes ``+``): ``+86 138-0013-8000`` -> ``+8613800138000``.
A caller ID may arrive in another form than the one stored (with or without ``+``, with
or without the country code 86 or 1, with a national trunk ``0``); ``variants`` lists the
forms to try, the number as given first.
"""

from __future__ import annotations

import re

COUNTRY_CODES = ("86", "1")  # tried when a number comes without its country code
MIN_DIGITS, MAX_DIGITS = 3, 20
_SEPARATORS = re.compile(r"[\s\-().]")


def normalise(raw: str) -> str:
    """Digits with an optional leading ``+``; raises ValueError saying what is wrong."""
    text = _SEPARATORS.sub("", raw.strip())
    if text.startswith("00"):
        text = "+" + text[2:]
    plus = text.startswith("+")
    digits = text[1:] if plus else text
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f"{raw!r} is not a phone number (digits, spaces, -, (), + only)")
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        raise ValueError(f"{raw!r} must have {MIN_DIGITS} to {MAX_DIGITS} digits")
    return ("+" if plus else "") + digits


def _national(digits: str) -> list[str]:
    """National numbers inside an international one (country code taken off)."""
    out = []
    for cc in COUNTRY_CODES:
        if digits.startswith(cc) and len(digits) - len(cc) >= 6:
            nat = digits[len(cc) :]
            out += [nat, "0" + nat]
    return out


def variants(number: str) -> list[str]:
    """Stored forms that may be the same line as ``number``, most exact first.
    Empty when ``number`` is not a phone number at all (e.g. ``anonymous``)."""
    try:
        n = normalise(number)
    except ValueError:
        return []
    digits = n.lstrip("+")
    out = [n]
    if n.startswith("+"):
        out += [digits, *_national(digits)]
    elif digits.startswith("0"):
        nat = digits[1:]
        out += [nat] + [f"{p}{cc}{nat}" for cc in COUNTRY_CODES for p in ("+", "")]
    else:
        out += ["+" + digits, "0" + digits]
        out += [f"{p}{cc}{digits}" for cc in COUNTRY_CODES for p in ("+", "")]
        out += _national(digits)
    return list(dict.fromkeys(out))
