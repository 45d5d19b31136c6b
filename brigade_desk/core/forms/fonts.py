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


@dataclass(frozen=True)
class FontFile:
    path: Path
    subfont: int = 0


def _windows_fonts_dir() -> Path:
    return Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"


# role -> candidate (file name, subfont) in the system font folders, best first
_SYSTEM: dict[str, list[tuple[str, int]]] = {
    "fangsong": [("simfang.ttf", 0), ("STFANGSO.TTF", 0)],
    "heiti": [("simhei.ttf", 0), ("msyh.ttc", 0), ("msyh.ttf", 0)],
    "song": [("simsun.ttc", 0), ("simsun.ttf", 0), ("STSONG.TTF", 0)],
    "kaiti": [("simkai.ttf", 0), ("STKAITI.TTF", 0)],
    "xiaobiaosong": [("FZXBSJW.TTF", 0), ("方正小标宋简体.ttf", 0), ("FZXBSK.TTF", 0)],
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


def candidates(role: str) -> list[FontFile]:
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
    out.append(shipped_font())
    return out
