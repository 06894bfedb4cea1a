"""What officers type: refusing characters that hide or reorder text, and comparing names as people do.

Vietnamese letters can arrive precomposed ("ễ", one code point) or decomposed ("e" + two combining marks)
depending on the keyboard and the system; both spell the same name. Names are stored in Unicode NFC with
whitespace collapsed, compared ignoring case, and searched without diacritics.
"""

from __future__ import annotations

import re
import unicodedata

_LINE_BREAKS = frozenset("\n\r\t")
_SPACES = re.compile(r"\s+")
# Categories never legitimate in typed text: controls (Cc), invisible format characters such as zero-width
# spaces and joiners, direction marks, embeddings and isolates (Cf), lone surrogates (Cs), private use (Co),
# unassigned code points (Cn), and line/paragraph separators (Zl, Zp).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` cannot be stored as typed text, in Vietnamese, or None when it can."""
    for character in value:
        if multiline and character in _LINE_BREAKS:
            continue
        category = unicodedata.category(character)
        if category in _REFUSED_CATEGORIES:
            if category == "Cs":
                return "chứa ký tự mã hóa không hợp lệ (surrogate đơn lẻ)"
            if category == "Cf" or category in ("Zl", "Zp"):
                return f"chứa ký tự ẩn hoặc đổi hướng văn bản (U+{ord(character):04X})"
            return f"chứa ký tự điều khiển hoặc không hợp lệ (U+{ord(character):04X})"
    return None


def normalize_name(value: str) -> str:
    """NFC with runs of whitespace collapsed to one space and the ends trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", value)).strip()


def same_name(left: str, right: str) -> bool:
    """Equal ignoring case and composed/decomposed forms (diacritics still count: "An" is not "Ân")."""
    return normalize_name(left).casefold() == normalize_name(right).casefold()


def name_key(value: str) -> str:
    """The folded form used to search: lower case, no diacritics, "đ" read as "d"."""
    decomposed = unicodedata.normalize("NFD", normalize_name(value).casefold())
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return stripped.replace("đ", "d")
