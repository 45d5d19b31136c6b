"""Text hygiene at the door: the invisible characters a value may not bring into the ledger.

Text pasted from web pages, chat programs, PDFs and CSV files carries characters nobody sees:
zero-width spaces, byte order marks, soft hyphens, direction overrides that make ``张三`` display
as ``三张`` (or ``…〔2026〕12号`` as another number), control characters. In a key — a name, an ID
number, a certificate, case or device number, a squad — such a character makes two values that
look the same differ (a second "张三" who is not found, a duplicate case number that is not
refused), and a direction override makes the text shown differ from the text stored.

Every door uses these functions: the importers (per cell, naming sheet, row and column), the
services' validation (which the GUI dialogs and the command line go through).

What happens to each character (decided here, once):

=========================================  ====================================  ==================
character                                  in a key                              in free text
=========================================  ====================================  ==================
direction controls: embeddings and         refused                               refused
overrides U+202A–U+202E, isolates
U+2066–U+2069
control characters (Cc) other than tab,    refused                               refused
line feed and carriage return; lone
surrogates (Cs)
zero-width and invisible marks: U+200B     at the start or the end: removed      removed anywhere
ZWSP, U+200C, U+200D, U+2060, U+FEFF BOM,  (a BOM left by a CSV file, a ZWSP      (said in the
U+00AD soft hyphen, U+200E/U+200F/U+061C   copied from a web page: what is        import's notes)
direction marks, U+180E                    shown stays exactly the same);
                                           inside: refused (where the text came
                                           from is worth a look)
any other format character (Cf)            refused                               refused
tab, line feed, carriage return            left to the field (names and numbers  kept
                                           drop every space)
=========================================  ====================================  ==================

A refusal names the character visibly: ``含不可见字符 U+202E（从右向左覆盖），在第 1 个字符处：
「<U+202E>三张」。…``. What was removed is said too (:func:`clean` returns it; the importers note
it on the row — ``已去掉末尾的不可见字符 U+200B（零宽空格）`` — so the clerk reads it before
anything is written; the services remove it silently, the value looking exactly the same).

Plain text — ASCII, Chinese, every printable character — takes one ``str.isprintable()`` call
(every character refused or removed here is unprintable to Python), and an importer looks at a
clean sheet's text once, joined (``tabular.read.sheet_is_clean``), so the 20,000-row imports do
not slow down.

Not done here: text stored before this check existed is shown as it is (``visible`` writes it
out for a message).
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from collections.abc import Mapping

__all__ = [
    "DirtyText",
    "Kind",
    "check_fields",
    "clean",
    "clean_key",
    "describe",
    "has_unwanted",
    "visible",
]


class Kind(enum.Enum):
    KEY = "key"  # names, ID / certificate / case / device numbers, squads: what finds a record
    TEXT = "text"  # notes, 案由, reasons, places: read, never looked up


class DirtyText(ValueError):
    """A value holding a character it may not hold; the message is Chinese and names it."""


BIDI_CONTROLS = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))
ZERO_WIDTH = frozenset(
    {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD, 0x200E, 0x200F, 0x061C, 0x180E}
)
LINE_CONTROLS = frozenset({0x09, 0x0A, 0x0D})  # tab, line feed, carriage return

NAMES = {
    0x00: "空字符",
    0x09: "制表符",
    0x0A: "换行符",
    0x0D: "回车符",
    0x1B: "转义符",
    0x7F: "删除符",
    0x00AD: "软连字符",
    0x061C: "阿拉伯字母方向标记",
    0x180E: "蒙古文元音分隔符",
    0x200B: "零宽空格",
    0x200C: "零宽不连字",
    0x200D: "零宽连字",
    0x200E: "从左向右标记",
    0x200F: "从右向左标记",
    0x202A: "从左向右嵌入",
    0x202B: "从右向左嵌入",
    0x202C: "嵌入结束",
    0x202D: "从左向右覆盖",
    0x202E: "从右向左覆盖",
    0x2060: "零宽不换行",
    0x2066: "从左向右隔离",
    0x2067: "从右向左隔离",
    0x2068: "首字符方向隔离",
    0x2069: "隔离结束",
    0xFEFF: "字节顺序标记 BOM",
}


def _char_class(codes: set[int]) -> str:
    """A regex character class of ``codes`` (as ranges)."""
    out: list[str] = []
    ordered = sorted(codes)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        a, b = ordered[i], ordered[j]
        out.append(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}")
        i = j + 1
    return "[" + "".join(out) + "]"


def _unwanted() -> set[int]:
    """Every character this module acts on: Cc but tab / LF / CR, every Cf, the surrogates. The
    format characters are those of the Unicode tables Python ships (they lie in the first two
    planes and in plane 14, the tags)."""
    codes = set(range(0x20)) | set(range(0x7F, 0xA0))
    codes -= LINE_CONTROLS
    codes |= set(range(0xD800, 0xE000))
    for c in (*range(0x20000), *range(0xE0000, 0xE1000)):
        if unicodedata.category(chr(c)) == "Cf":
            codes.add(c)
    return codes


@functools.cache
def _unwanted_re() -> re.Pattern[str]:
    """Built on first use (about 10 ms): plain text never needs it."""
    return re.compile(_char_class(_unwanted()))


_ZW_CHARS = frozenset(chr(c) for c in ZERO_WIDTH)
_ZW_ANY = re.compile(_char_class(set(ZERO_WIDTH)))


def describe(ch: str) -> str:
    """``U+202E（从右向左覆盖）``: a character as the clerk is told about it."""
    code = ord(ch)
    name = NAMES.get(code)
    if name is None:
        cat = unicodedata.category(ch)
        name = {"Cc": "控制字符", "Cs": "孤立的代理码位，无效字符"}.get(cat, "不可见格式字符")
    return f"U+{code:04X}（{name}）"


def visible(s: str, limit: int = 60) -> str:
    """``s`` on one line with every invisible character written out as ``<U+202E>``, cut to
    ``limit`` characters of the original (a long note is quoted by its start)."""
    cut = s[:limit]
    out = _unwanted_re().sub(lambda m: f"<U+{ord(m.group()):04X}>", cut)
    out = out.replace("\n", "<换行>").replace("\r", "<回车>").replace("\t", "<制表符>")
    return out if len(s) <= limit else out + f"…（共 {len(s)} 字）"


def _refuse(s: str, at: int) -> DirtyText:
    ch = s[at]
    code = ord(ch)
    if code in BIDI_CONTROLS:
        why = "这类字符会改变文字的显示顺序，使看到的与保存的不同"
    elif code in ZERO_WIDTH:
        why = "这类字符看不见，却会使姓名、编号与看起来相同的另一项对不上"
    else:
        why = "这类字符不能保存在台账中"
    where = f"在第 {at + 1} 个字符处" if len(s) > 1 else "内容只有这一个字符"
    return DirtyText(
        f"含不可见字符 {describe(ch)}，{where}：「{visible(s)}」。{why}，"
        "请删除后重新输入（不要从网页、聊天记录中复制粘贴）"
    )


def _removed(chars: str, where: str) -> str:
    seen = list(dict.fromkeys(chars))
    return f"已去掉{where + '的' if where else ''}不可见字符 " + "、".join(
        describe(c) for c in seen
    )


def _edges(s: str) -> tuple[int, int]:
    """Where a key's text starts and ends once zero-width characters (and the spaces among them)
    are taken off both ends."""
    i, j = 0, len(s)
    while i < j and (s[i] in _ZW_CHARS or s[i].isspace()):
        i += 1
    while j > i and (s[j - 1] in _ZW_CHARS or s[j - 1].isspace()):
        j -= 1
    return i, j


def clean(s: str, kind: Kind = Kind.KEY) -> tuple[str, str]:
    """``s`` as it may be stored, and what was removed from it (a Chinese sentence, "" when
    nothing). Raises :class:`DirtyText` when ``s`` holds a character it may not hold (see the
    module's table)."""
    if s.isprintable():  # ASCII, Chinese …: one C loop, nothing to look at
        return s, ""
    unwanted = _unwanted_re()
    if unwanted.search(s) is None:  # line breaks, U+3000 and other spaces: nothing either
        return s, ""
    key = kind is Kind.KEY
    removed = ""
    if key:
        i, j = _edges(s)
        head = [c for c in s[:i] if c in _ZW_CHARS]
        tail = [c for c in s[j:] if c in _ZW_CHARS]
        if head or tail:
            where = "开头和末尾" if head and tail else ("开头" if head else "末尾")
            removed = _removed("".join(head + tail), where)
            s = s[i:j]
    elif _ZW_ANY.search(s) is not None:
        removed = _removed("".join(_ZW_ANY.findall(s)), "")
        s = _ZW_ANY.sub("", s)
    m = unwanted.search(s)
    if m is not None:
        raise _refuse(s, m.start())
    return s, removed


def clean_key(s: str) -> str:
    """:func:`clean` for a key whose removed characters need not be told (the service layer: the
    value the clerk typed looks the same without them)."""
    return clean(s, Kind.KEY)[0]


def check_fields(
    data: object, kinds: Mapping[str, Kind], labels: Mapping[str, str]
) -> dict[str, str]:
    """The services' door (what the GUI dialogs and the command line save goes through): every
    ``str`` attribute of ``data`` named in ``kinds`` is cleaned in place — a zero-width character
    at either end of a key removed without a word, as the value looks exactly the same without it
    — and the attributes refused are returned, attribute name → Chinese message starting with the
    field's label from ``labels`` ("姓名含不可见字符 U+202E（从右向左覆盖）…"; the caller lets it win
    over its other messages about the field: it is their cause)."""
    refused: dict[str, str] = {}
    for name, kind in kinds.items():
        v = getattr(data, name)
        if type(v) is not str or v.isprintable():
            continue
        try:
            new, _removed = clean(v, kind)
        except DirtyText as exc:
            refused[name] = f"{labels.get(name, '')}{exc}"
            continue
        if new != v:
            setattr(data, name, new)
    return refused


def has_unwanted(s: str) -> bool:
    """Whether :func:`clean` would remove or refuse anything in ``s`` (one C-level scan; a whole
    sheet's text joined is looked at in a few milliseconds)."""
    return not s.isprintable() and _unwanted_re().search(s) is not None
