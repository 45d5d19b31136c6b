"""Finding Chinese TrueType fonts: the system's 仿宋/黑体/宋体 first, the shipped font last.

Used by the PDF writers (reportlab needs TrueType outlines and embeds a subset) and by the GUI
(which loads the shipped font when the system has no Chinese font at all).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from brigade_desk.core import paths

SHIPPED = ("fonts", "wqy-microhei.ttc")
# free fonts shipped for the 公文 roles the shipped sans font cannot stand in for (README beside them)
BUNDLED_SONG = ("fonts", "gbsn00lp-gb2312.ttf")  # AR PL SungtiL GB, 宋体-style
BUNDLED_KAI = ("fonts", "gkai00mp-gb2312.ttf")  # AR PL KaitiM GB, 楷体-style


@dataclass(frozen=True)
class FontFile:
    path: Path
    subfont: int = 0


def _windows_fonts_dir() -> Path:
    return Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"


# role -> candidate (file name, subfont) in the system font folders, best first
_SYSTEM: dict[str, list[tuple[str, int]]] = {
    "fangsong": [
        ("FS_GB2312.TTF", 0),
        ("仿宋_GB2312.ttf", 0),
        ("simfang.ttf", 0),
        ("STFANGSO.TTF", 0),
    ],
    "heiti": [("simhei.ttf", 0), ("msyh.ttc", 0), ("msyh.ttf", 0)],
    "song": [("simsun.ttc", 0), ("simsun.ttf", 0), ("STSONG.TTF", 0)],
    "kaiti": [
        ("KT_GB2312.TTF", 0),
        ("楷体_GB2312.ttf", 0),
        ("simkai.ttf", 0),
        ("STKAITI.TTF", 0),
    ],
    "xiaobiaosong": [
        ("FZXBSJW.TTF", 0),
        ("FZXBSJW--GB1-0.ttf", 0),
        ("方正小标宋简体.ttf", 0),
        ("方正小标宋_GBK.ttf", 0),
        ("FZXBSK.TTF", 0),
    ],
}

_UNIX_DIRS = [
    Path("/usr/share/fonts/truetype/wqy"),
    Path("/usr/share/fonts/truetype/arphic"),
    Path.home() / ".fonts",
    Path("/Library/Fonts"),
    Path("/System/Library/Fonts"),
]


def shipped_font() -> FontFile:
    return FontFile(paths.resource(*SHIPPED), 0)


def system_candidates(role: str) -> list[FontFile]:
    """The system's fonts for ``role``, best first (none of the shipped ones)."""
    out: list[FontFile] = []
    dirs: list[Path] = []
    if sys.platform.startswith("win"):
        dirs.append(_windows_fonts_dir())
        local = os.environ.get("LOCALAPPDATA")
        if local:
            dirs.append(Path(local) / "Microsoft" / "Windows" / "Fonts")
    else:
        dirs.extend(_UNIX_DIRS)
    for d in dirs:
        for name, sub in _SYSTEM.get(role, []):
            p = d / name
            if p.is_file():
                out.append(FontFile(p, sub))
    return out


def candidates(role: str) -> list[FontFile]:
    return [*system_candidates(role), shipped_font()]


# 公文 role -> the shipped font of the same family when the system has none, so that the body, the
# title and each heading level keep their own look (黑体 and 小标宋 fall back to the sans font)
_GONGWEN_BUNDLED: dict[str, tuple[str, str]] = {
    "fangsong": BUNDLED_SONG,  # no free 仿宋 with Simplified coverage: the serif 宋体 is closest
    "song": BUNDLED_SONG,
    "kaiti": BUNDLED_KAI,
}


def gongwen_candidates(role: str) -> list[FontFile]:
    """Fonts for a 公文 role (fangsong, xiaobiaosong, heiti, kaiti, song): the system's first, then
    the shipped font of the same family, then the shipped sans font. 小标宋 falls back to 黑体."""
    out = system_candidates(role)
    if role == "xiaobiaosong":
        out += system_candidates("heiti")
    bundled = _GONGWEN_BUNDLED.get(role)
    if bundled:
        out.append(FontFile(paths.resource(*bundled), 0))
    out.append(shipped_font())
    return out
