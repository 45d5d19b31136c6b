"""修改记录: every recorded change of one record, from the audit trail."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from brigade_desk.core import audit
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.widgets.screen import fit_to_screen
from brigade_desk.ui.widgets.table import Column, ListTableModel, apply_widths, make_view


def change_text(c: tuple[str, object, object], names: dict[str, str] | None = None) -> str:
    col, before, after = c

    def f(v: object) -> str:
        if v is None or v == "":
            return "（空）"
        if v is True:
            return "是"
        if v is False:
            return "否"
        return str(v)

    return f"{(names or {}).get(col, col)}：{f(before)} → {f(after)}"


class HistoryDialog(QDialog):
    def __init__(
        self,
        ctx: AppContext,
        title: str,
        records: list[tuple[str, int]],
        parent: QWidget | None = None,
        names: dict[str, str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"修改记录 — {title}")
        fit_to_screen(self, 900, 480)
        items = audit.history_of(ctx.db, records)
        cols: list[Column[audit.HistoryItem]] = [
            Column("时间", lambda h: h.at, 140),
            Column("操作人", lambda h: h.user, 90),
            Column("操作", lambda h: audit.ACTION_ZH.get(h.action, h.action), 60),
            Column(
                "内容（原值 → 新值）",
                lambda h: "；".join(change_text(c, names) for c in h.changes),
                560,
            ),
        ]
        self.model: ListTableModel[audit.HistoryItem] = ListTableModel(cols, self)
        self.model.set_rows(items)
        view = make_view(self, "history_dialog")
        view.setModel(self.model)
        apply_widths(view, cols)
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addWidget(
            QLabel(
                f"共 {len(items)} 条记录。每一条修改都在同一事务中记下，并与前一条哈希链接，程序之外的改动会被发现。"
            )
        )
        lay.addWidget(view, 1)
        lay.addWidget(close)
