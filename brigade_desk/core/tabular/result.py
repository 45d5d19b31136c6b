"""The outcome of an import, as the command line prints it and the GUI shows it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from brigade_desk.core.errors import RowError

if TYPE_CHECKING:
    from brigade_desk.core.tabular.read import IgnoredColumn, StoredColumn

# entries kept of each list: a file with millions of bad cells says how many, not all of them
MAX_LISTED = 1000


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
    # errors beyond the first MAX_LISTED: counted, not kept
    more_errors: int = 0
    # columns of the file that are imported, and the ledger field each fills
    stored_columns: list[StoredColumn] = field(default_factory=list)
    # columns of the file not imported (unknown, repeated, without a header, not kept)
    ignored_columns: list[IgnoredColumn] = field(default_factory=list)
    # about the file or a whole sheet: hidden sheets left out, the 1904 date system …
    notes: list[str] = field(default_factory=list)
    # what the program assumed in a row ("/" read as empty, a weekday left out …)
    interpretations: list[RowError] = field(default_factory=list)
    more_interpretations: int = 0

    @property
    def rejected(self) -> bool:
        """True when the input was refused (nothing written because of errors)."""
        return bool(self.errors) and not self.written

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.more_errors

    def cap(self) -> None:
        """Keep the first :data:`MAX_LISTED` errors and interpretations and count the rest."""
        if len(self.errors) > MAX_LISTED:
            self.more_errors += len(self.errors) - MAX_LISTED
            del self.errors[MAX_LISTED:]
        if len(self.interpretations) > MAX_LISTED:
            self.more_interpretations += len(self.interpretations) - MAX_LISTED
            del self.interpretations[MAX_LISTED:]

    def as_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "written": self.written,
            "errors": [e.as_dict() for e in self.errors],
            "error_count": self.error_count,
            "stored_columns": [c.as_dict() for c in self.stored_columns],
            "ignored_columns": [c.as_dict() for c in self.ignored_columns],
            "notes": list(self.notes),
            "interpretations": [e.as_dict() for e in self.interpretations],
            "interpretation_count": len(self.interpretations) + self.more_interpretations,
        }

    def summary(self) -> str:
        verb = "将新增" if self.dry_run else "新增"
        s = f"{verb} {self.created} 条，{'将' if self.dry_run else ''}更新 {self.updated} 条，跳过 {self.skipped} 条"
        if self.errors:
            s += f"，发现 {self.error_count} 处错误"
            if self.more_errors:
                s += f"（只列出前 {len(self.errors)} 处）"
            if self.rejected:
                s += "，未写入任何数据"
            if self.held_back:
                s += f"（其中 {self.held_back} 行没有错误，改正错误或选择“跳过有错误的行”后即可导入）"
        if self.ignored_columns:
            s += f"；{len(self.ignored_columns)} 列未导入"
        return s

    def details(self) -> list[str]:
        """The lines a clerk reads under the summary: columns and sheets not imported, then what
        was assumed (the errors are listed on their own)."""
        out: list[str] = []
        if self.ignored_columns:
            out.append("以下列未导入：")
            out.extend("  " + c.describe() for c in self.ignored_columns)
        out.extend(self.notes)
        if self.interpretations:
            n = len(self.interpretations) + self.more_interpretations
            out.append(f"程序按以下理解读取了 {n} 处内容：")
            out.extend("  " + str(e) for e in self.interpretations)
            if self.more_interpretations:
                out.append(f"  ……另有 {self.more_interpretations} 处未列出")
        return out


def refused(message: str) -> dict[str, Any]:
    """What ``--json`` prints for a file that could not be read at all."""
    return {
        "created": 0,
        "updated": 0,
        "skipped": 0,
        "written": False,
        "refused": message,
        "errors": [{"sheet": "", "row": 0, "column": "", "message": message}],
        "error_count": 1,
        "stored_columns": [],
        "ignored_columns": [],
        "notes": [],
        "interpretations": [],
        "interpretation_count": 0,
    }
