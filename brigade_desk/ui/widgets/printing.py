"""Printing what a table shows (Ctrl+P): an A4 landscape print preview of the visible rows."""

from __future__ import annotations

import datetime as dt
import html

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtGui import QPageLayout, QPageSize, QTextDocument
from PySide6.QtPrintSupport import QPrinter, QPrintPreviewDialog
from PySide6.QtWidgets import QMessageBox, QTableView, QWidget


def table_html(model: QAbstractItemModel, title: str, subtitle: str = "") -> str:
    cols = model.columnCount()
    head = "".join(f"<th>{html.escape(str(model.headerData(c, Qt.Orientation.Horizontal) or ''))}</th>" for c in range(cols))
    body = []
    for r in range(model.rowCount()):
        cells = "".join(f"<td>{html.escape(str(model.data(model.index(r, c)) or ''))}</td>" for c in range(cols))
        body.append(f"<tr>{cells}</tr>")
    return (
        "<html><head><style>table{border-collapse:collapse;width:100%} th,td{border:1px solid #000;padding:2px 4px;font-size:8pt}"
        " th{background:#d9e1f2} h2{text-align:center}</style></head><body>"
        f"<h2>{html.escape(title)}</h2><p>{html.escape(subtitle)}　打印日期：{dt.date.today():%Y-%m-%d}</p>"
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></body></html>"
    )


LARGE = 1000  # rows: above this the clerk is asked first (a year of cases is dozens of pages)


def print_table(view: QTableView, title: str, subtitle: str = "", parent: QWidget | None = None) -> None:
    n = view.model().rowCount()
    if n == 0:
        QMessageBox.information(parent or view, "打印", "当前列表是空的，没有可打印的内容。")
        return
    if n > LARGE and QMessageBox.question(
            parent or view, "打印",
            f"当前列表有 {n} 行，打印出来会有很多页。建议先用上方的筛选条件缩小范围（例如选择年度）。\n\n仍要打印全部 {n} 行吗？",
    ) != QMessageBox.StandardButton.Yes:
        return
    doc = QTextDocument()
    doc.setHtml(table_html(view.model(), title, subtitle))
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
    printer.setPageOrientation(QPageLayout.Orientation.Landscape)
    dlg = QPrintPreviewDialog(printer, parent or view)
    dlg.setWindowTitle(f"打印预览 — {title}")
    dlg.paintRequested.connect(doc.print_)
    dlg.exec()
