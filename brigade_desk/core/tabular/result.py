"""The outcome of an import, as the command line prints it and the GUI shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from brigade_desk.core.errors import RowError


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False
    skip_invalid: bool = False  # the flags it ran with (a dry run says what they would do)
    # the file itself is wrong (no header, a required column missing): refused even with
    # skip_invalid; see core.tabular.policy
    structural: bool = False
    written: bool = False
    held_back: int = (
        0  # valid rows not written because other rows have errors (without 跳过有错误的行)
    )

    @property
    def rejected(self) -> bool:
        """True when the input was refused (nothing written because of errors)."""
        return bool(self.errors) and not self.written

    def as_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": [e.as_dict() for e in self.errors],
        }

    def summary(self) -> str:
        verb = "将新增" if self.dry_run else "新增"
        s = f"{verb} {self.created} 条，{'将' if self.dry_run else ''}更新 {self.updated} 条，跳过 {self.skipped} 条"
        if self.errors:
            s += f"，发现 {len(self.errors)} 处错误"
            if self.rejected:
                s += "，未写入任何数据"
            if self.held_back:
                s += f"（其中 {self.held_back} 行没有错误，改正错误或选择“跳过有错误的行”后即可导入）"
        return s
