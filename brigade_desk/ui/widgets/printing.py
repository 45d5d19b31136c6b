"""Printing what a table shows (Ctrl+P): an A4 landscape print preview of the visible rows."""

from __future__ import annotations

import datetime as dt
import html

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QMessageBox, QTableView, QWidget

from brigade_desk.ui.widgets.screen import fit_to_screen


def table_html(
    model: QAbstractItemModel,
    title: str,
    subtitle: str = "",
    columns: list[tuple[int, int]] | None = None,
) -> str:
    """The rows as an HTML table; ``columns`` is (column, width) in the order shown on screen (hidden
    columns left out). Each column's share of the page follows its content (see ``_units``)."""
    cols = [
        (c, _units(model, c)) for c, _w in (columns or [(c, 0) for c in range(model.columnCount())])
    ]
    total = sum(w for _c, w in cols) or 1
    head = "".join(
        f'<th width="{max(1, round(100 * w / total))}%">'
        f"{html.escape(str(model.headerData(c, Qt.Orientation.Horizontal) or ''))}</th>"
        for c, w in cols
    )
    body = []
    for r in range(model.rowCount()):
        cells = "".join(_cell(str(model.data(model.index(r, c)) or "")) for c, _w in cols)
        body.append(f"<tr>{cells}</tr>")
    # Qt's rich text draws a full grid only from the table's own border attributes (CSS borders on
    # the cells leave empty cells open); the info line is a two-cell row, left and right, not one run
    info = (
        f'<table width="100%" cellspacing="0" cellpadding="0" style="margin-bottom:4px"><tr valign="bottom">'
        f'<td style="font-size:9pt">{html.escape(subtitle)}</td>'
        f'<td align="right" style="font-size:9pt">打印日期：{dt.date.today():%Y-%m-%d}</td></tr></table>'
    )
    return (
        "<html><head><style>th,td{padding:1px 3px;font-size:7.5pt} th{background:#d9e1f2}"
        " h2{text-align:center}</style></head><body>"
        f"<h2>{html.escape(title)}</h2>{info}"
        '<table class="grid" width="100%" border="1" cellspacing="0" cellpadding="2"'
        ' style="border-collapse:collapse;border-style:solid;border-color:#000">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></body></html>"
    )


def _cell(text: str) -> str:
    # a date, an amount, a number: never broken across lines
    nowrap = (
        ' style="white-space:nowrap"'
        if text.isascii() and " " not in text and len(text) <= 16
        else ""
    )
    return f"<td{nowrap}>{html.escape(text) or '&nbsp;'}</td>"


def _units(model: QAbstractItemModel, c: int, sample: int = 300) -> int:
    """How wide column ``c`` needs to be, in half-character units (a Chinese character counts two):
    its header and its longest value among the first rows, between 4 and 24 (plus padding), so a
    date or a case number stays on one line and a long 案由 wraps."""

    def width(text: str) -> int:  # digits and Latin letters print a little wider than half a 汉字
        return round(sum(2 if ord(ch) > 0x2E7F else 1.25 for ch in text))

    widest = width(str(model.headerData(c, Qt.Orientation.Horizontal) or ""))
    for r in range(min(sample, model.rowCount())):
        widest = max(widest, width(str(model.data(model.index(r, c)) or "")))
    return max(4, min(24, widest)) + 2  # + the cell's padding


def shown_columns(view: QTableView) -> list[tuple[int, int]]:
    """(column, width) of the columns the view shows, in their on-screen order."""
    hh = view.horizontalHeader()
    out = []
    for visual in range(hh.count()):
        c = hh.logicalIndex(visual)
        if not hh.isSectionHidden(c):
            out.append((c, max(30, view.columnWidth(c))))
    return out


LARGE = 1000  # rows: above this the clerk is asked first (a year of cases is dozens of pages)


def print_table(
    view: QTableView, title: str, subtitle: str = "", parent: QWidget | None = None
) -> None:
    n = view.model().rowCount()
    if n == 0:
        QMessageBox.information(parent or view, "打印", "当前列表是空的，没有可打印的内容。")
        return
    if (
        n > LARGE
        and QMessageBox.question(
            parent or view,
            "打印",
            f"当前列表有 {n} 行，打印出来会有很多页。建议先用上方的筛选条件缩小范围（例如选择年度）。\n\n仍要打印全部 {n} 行吗？",
        )
        != QMessageBox.StandardButton.Yes
    ):
        return
    preview_dialog(view, title, subtitle, parent).exec()


def preview_dialog(
    view: QTableView, title: str, subtitle: str = "", parent: QWidget | None = None
) -> QPrintPreviewDialog:
    """The A4 landscape print preview of what ``view`` shows, sized to fit the screen."""
    doc = QTextDocument()
    doc.setHtml(table_html(view.model(), title, subtitle, shown_columns(view)))
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Landscape)
    dlg = QPrintPreviewDialog(printer, parent or view)
    dlg.setWindowTitle(f"打印预览 — {title}")
    doc.setParent(dlg)  # the document lives as long as the preview paints from it
    dlg.paintRequested.connect(doc.print_)
    dlg.kept_printer = printer  # type: ignore[attr-defined]  # the dialog only points at it
    fit_to_screen(dlg, 1200, 740)
    return dlg
