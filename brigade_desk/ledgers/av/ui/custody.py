"""The AV section's device custody (执法记录仪: register, holder history, 交接), the officer
correction of one record, and the retention dialog (到期删除 with the permanent deletion log)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.ledgers.av import retention
from brigade_desk.ledgers.av.devices import DeviceService, DeviceView, HolderView
from brigade_desk.ledgers.av.service import AvDetail, AvService
from brigade_desk.ledgers.av.ui.dialogs import combo_id, officer_combo
from brigade_desk.ui.widgets.forms import (
    DateField,
    dialog_buttons,
    dialog_layout,
    error_label,
    mark,
    text_box,
)
from brigade_desk.ui.widgets.screen import error_area, fit_to_screen
from brigade_desk.ui.widgets.table import (
    WARNING,
    Column,
    FilterProxy,
    ListTableModel,
    apply_widths,
    make_view,
)


def _show_errors(
    dlg_error: QLabel, widgets: dict[str, QWidget], exc: ValidationError | UserError
) -> None:
    fields = exc.fields if isinstance(exc, ValidationError) else {"": exc.message}
    for k, msg in fields.items():
        if k in widgets:
            mark(widgets[k], True, msg)
    dlg_error.setText("；".join(fields.values()))
    dlg_error.show()


def _qdt(t: dt.datetime) -> QDateTime:
    return QDateTime(QDate(t.year, t.month, t.day), QTime(t.hour, t.minute))


def _pydt(q: QDateTime) -> dt.datetime:
    d, t = q.date(), q.time()
    return dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())


def datetime_field(t: dt.datetime) -> QDateTimeEdit:
    w = QDateTimeEdit(_qdt(t))
    w.setDisplayFormat("yyyy-MM-dd HH:mm")
    w.setCalendarPopup(True)
    return w


class DeviceDialog(QDialog):
    """新增 / 编辑 a body camera (编号, 型号, 产品序号, 备注, 在用)."""

    def __init__(
        self, service: DeviceService, device: DeviceView | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.device_id = device.id if device else None
        self.saved_id: int | None = None
        self.setWindowTitle("编辑执法记录仪" if device else "登记执法记录仪")
        self.device_no = QLineEdit(device.device_no if device else "")
        self.device_no.setPlaceholderText("与文件名中的设备号一致，如 DSJ-A0001")
        self.model = QLineEdit(device.model if device else "")
        self.serial = QLineEdit(device.serial_no if device else "")
        self.notes = text_box(device.notes if device else "")
        self.notes.setMaximumHeight(70)
        self.active = QCheckBox("在用（停用的设备仍保留持有记录）")
        self.active.setChecked(device.active if device else True)
        self.error = error_label()
        form = QFormLayout()
        form.addRow("编号 *", self.device_no)
        form.addRow("型号", self.model)
        form.addRow("产品序号", self.serial)
        form.addRow("备注", self.notes)
        form.addRow(self.active)
        self.widgets: dict[str, QWidget] = {
            "device_no": self.device_no,
            "model": self.model,
            "serial_no": self.serial,
            "notes": self.notes,
        }
        dialog_layout(self, form, self.error, dialog_buttons(self, self.save))

    def save(self) -> None:
        for w in self.widgets.values():
            mark(w, False)
        try:
            self.saved_id = self.service.save_device(
                self.device_id,
                self.device_no.text(),
                self.model.text(),
                self.serial.text(),
                self.notes.toPlainText(),
                self.active.isChecked(),
            )
        except UserError as exc:
            _show_errors(self.error, self.widgets, exc)
            return
        self.accept()


class HandOverDialog(QDialog):
    """交接: the current holder's period ends at the chosen time and the new holder's begins; or
    归还 (nobody holds the device from then on)."""

    def __init__(
        self,
        service: DeviceService,
        device: DeviceView,
        parent: QWidget | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.device = device
        self.setWindowTitle(f"交接执法记录仪 {device.device_no}")
        current = (
            f"{device.holder}（自 {device.since:%Y-%m-%d %H:%M}）"
            if device.holder and device.since
            else "无人持有"
        )
        self.to = officer_combo(service.staff())
        self.returned = QCheckBox("归还（交回后无人持有）")
        self.returned.toggled.connect(lambda on: self.to.setEnabled(not on))
        self.at = datetime_field(now or dt.datetime.now().replace(second=0, microsecond=0))
        self.notes = QLineEdit()
        self.error = error_label()
        form = QFormLayout()
        form.addRow("执法记录仪", QLabel(f"{device.device_no}  {device.model}"))
        form.addRow("当前持有人", QLabel(current))
        form.addRow("交给 *", self.to)
        form.addRow("", self.returned)
        form.addRow("交接时间 *", self.at)
        form.addRow("备注", self.notes)
        hint = QLabel("交接时间之前拍摄的文件归当前持有人，之后的归新持有人。")
        hint.setWordWrap(True)
        form.addRow(hint)
        self.widgets: dict[str, QWidget] = {
            "staff_id": self.to,
            "from_at": self.at,
            "notes": self.notes,
        }
        dialog_layout(self, form, self.error, dialog_buttons(self, self.save, "交接"))

    def save(self) -> None:
        for w in self.widgets.values():
            mark(w, False)
        try:
            staff: int | None = None
            if not self.returned.isChecked():
                try:
                    staff = combo_id(self.to)
                except ValueError:
                    raise ValidationError(
                        {"staff_id": f"「交给」不在花名册中：{self.to.currentText()}"}
                    ) from None
                if staff is None:
                    raise ValidationError({"staff_id": "请选择「交给」谁，或勾选「归还」"})
            self.service.hand_over(
                self.device.id, staff, _pydt(self.at.dateTime()), self.notes.text()
            )
        except UserError as exc:
            _show_errors(self.error, self.widgets, exc)
            return
        self.accept()


class DevicesTab(QWidget):
    """执法记录仪: the register (sortable, filterable) and the selected device's holder history."""

    def __init__(self, db: Database, on_changed: Callable[[], None]) -> None:
        super().__init__()
        self.service = DeviceService(db)
        self.on_changed = on_changed
        cols: list[Column[DeviceView]] = [
            Column("编号", lambda d: d.device_no, 130),
            Column("型号", lambda d: d.model, 110),
            Column("产品序号", lambda d: d.serial_no, 130),
            Column("当前持有人", lambda d: d.holder or "无人持有", 110),
            Column("持有起始", lambda d: d.since, 125),
            Column("状态", lambda d: "在用" if d.active else "停用", 50),
            Column("备注", lambda d: d.notes, 200),
        ]
        self.devices: ListTableModel[DeviceView] = ListTableModel(cols, self)
        self.devices.row_color = lambda d: WARNING if d.active and not d.holder else None
        self.proxy = FilterProxy(self)
        self.proxy.setSourceModel(self.devices)
        self.view = make_view(self, "av_devices")
        self.view.setModel(self.proxy)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        apply_widths(self.view, cols)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._show_history())
        # a double-click or Enter on a device (the view's "activated") opens 交接
        self.view.activated.connect(lambda _i: self.hand_over())
        self.search = QLineEdit()
        self.search.setPlaceholderText("筛选编号、型号、产品序号、持有人…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        self.add_btn = QPushButton("登记设备(&N)…")
        self.add_btn.clicked.connect(lambda: self.edit(new=True))
        self.edit_btn = QPushButton("编辑(&E)…")
        self.edit_btn.clicked.connect(lambda: self.edit())
        self.hand_btn = QPushButton("交接(&H)…")
        self.hand_btn.setToolTip("交接或归还选中的执法记录仪（双击一行或按 Enter 亦可）")
        self.hand_btn.clicked.connect(self.hand_over)
        self.undo_btn = QPushButton("撤销最近一次交接…")
        self.undo_btn.setToolTip(
            "交接时选错了人或填错了时间：撤销选中设备最近一次的领用、交接或归还"
        )
        self.undo_btn.clicked.connect(self.undo_last)
        hcols: list[Column[HolderView]] = [
            Column("持有人", lambda h: h.staff, 110),
            Column("自", lambda h: h.from_at, 125),
            Column("至", lambda h: h.to_at or "至今", 125),
            Column("备注", lambda h: h.notes, 220),
        ]
        self.history: ListTableModel[HolderView] = ListTableModel(hcols, self)
        self.history_view = make_view(self, "av_device_history")
        self.history_view.setModel(self.history)
        self.history_view.setSortingEnabled(False)
        apply_widths(self.history_view, hcols)
        self.history_title = QLabel("持有记录：选择一台执法记录仪")
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        for b in (self.add_btn, self.edit_btn, self.hand_btn, self.undo_btn):
            top.addWidget(b)
        upper = QWidget()
        ul = QVBoxLayout(upper)
        ul.setContentsMargins(0, 0, 0, 0)
        ul.addLayout(top)
        ul.addWidget(self.view, 1)
        lower = QWidget()
        ll = QVBoxLayout(lower)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.history_title)
        ll.addWidget(self.history_view, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(upper)
        split.addWidget(lower)
        split.setSizes([360, 220])
        lay = QVBoxLayout(self)
        lay.addWidget(split)
        self._set_buttons()

    def reload(self) -> None:
        keep = self.selected()
        self.devices.set_rows(self.service.devices())
        if keep is not None:
            self.select(keep.id)
        self._show_history()

    def selected(self) -> DeviceView | None:
        idx = self.view.selectionModel().selectedRows()
        if not idx:
            return None
        return self.devices.row_at(self.proxy.mapToSource(idx[0]).row())

    def select(self, device_id: int) -> None:
        for i in range(self.devices.rowCount()):
            if self.devices.row_at(i).id == device_id:
                src = self.devices.index(i, 0)
                self.view.selectRow(self.proxy.mapFromSource(src).row())
                return

    def _set_buttons(self) -> None:
        on = self.selected() is not None
        self.edit_btn.setEnabled(on)
        self.hand_btn.setEnabled(on)
        self.undo_btn.setEnabled(on)

    def _show_history(self) -> None:
        d = self.selected()
        self._set_buttons()
        if d is None:
            self.history.set_rows([])
            self.history_title.setText("持有记录：选择一台执法记录仪")
            return
        rows = self.service.history(d.id)
        self.history.set_rows(rows)
        self.history_title.setText(
            f"持有记录：{d.device_no}（{len(rows)} 段；"
            + (f"现由 {d.holder} 持有" if d.holder else "现在无人持有")
            + "）"
        )

    def edit(self, new: bool = False) -> DeviceDialog | None:
        d = None if new else self.selected()
        if not new and d is None:
            return None
        dlg = DeviceDialog(self.service, d, self)
        if dlg.exec() and dlg.saved_id is not None:
            self.reload()
            self.select(dlg.saved_id)
            self.on_changed()
        return dlg

    def undo_last(self) -> bool:
        """Undo the selected device's latest change of hands, after a confirmation saying what."""
        d = self.selected()
        if d is None:
            return False
        try:
            what = self.service.last_change(d.id)
            if what is None:
                QMessageBox.information(
                    self, "撤销交接", f"{d.device_no} 还没有持有记录，没有可撤销的交接。"
                )
                return False
            if (
                QMessageBox.question(
                    self,
                    "撤销交接",
                    f"撤销最近一次：{what}？\n\n已入库的音像记录的人员认定不会改变；"
                    "需要时请在该记录上用「更正人员…」。",
                )
                != QMessageBox.StandardButton.Yes
            ):
                return False
            said = self.service.undo_last_hand_over(d.id)
        except UserError as exc:
            QMessageBox.warning(self, "撤销交接", exc.message)
            return False
        self.reload()
        self.on_changed()
        QMessageBox.information(self, "撤销交接", said)
        return True

    def hand_over(self) -> None:
        d = self.selected()
        if d is None:
            return
        dlg = HandOverDialog(self.service, d, self)
        done = dlg.exec()
        dlg.deleteLater()
        if done:
            self.reload()
            self.on_changed()


class CorrectOfficerDialog(QDialog):
    """更正执法人员 of one record, with what the device register says; audited."""

    def __init__(self, service: AvService, d: AvDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.record_id = d.id
        self.setWindowTitle(f"更正执法人员 — {d.file_name}")
        holder, says = service.custody_holder(d.id)
        self.officer = officer_combo(service.officers(), d.officer_id)
        self.use_holder = QPushButton("改为设备登记的持有人")
        self.use_holder.setEnabled(holder is not None and holder != d.officer_id)
        self.use_holder.clicked.connect(
            lambda: self.officer.setCurrentIndex(max(0, self.officer.findData(holder)))
        )
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("如：借用他人记录仪；写入备注")
        self.error = error_label()
        form = QFormLayout()
        form.addRow("文件", QLabel(d.file_name))
        form.addRow(
            "拍摄时间", QLabel(f"{d.media_start:%Y-%m-%d %H:%M:%S}" if d.media_start else "")
        )
        form.addRow("执法记录仪", QLabel(d.device_no or "（无）"))
        form.addRow("现记录为", QLabel(d.officers or "（未定）"))
        says_label = QLabel(says)
        says_label.setWordWrap(True)
        form.addRow("设备登记", says_label)
        row = QWidget()
        rl = QHBoxLayout(row)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.officer, 1)
        rl.addWidget(self.use_holder)
        form.addRow("执法人员 *", row)
        form.addRow("更正原因", self.reason)
        note = QLabel("更正前后的人员都记入审计记录（修改记录中可查）。")
        note.setWordWrap(True)
        form.addRow(note)
        self.widgets: dict[str, QWidget] = {"officer_id": self.officer, "reason": self.reason}
        dialog_layout(self, form, self.error, dialog_buttons(self, self.save, "更正"))

    def save(self) -> None:
        for w in self.widgets.values():
            mark(w, False)
        try:
            try:
                sid = combo_id(self.officer)
            except ValueError:
                raise ValidationError(
                    {"officer_id": f"「执法人员」不在花名册中：{self.officer.currentText()}"}
                ) from None
            self.service.correct_officer(self.record_id, sid, self.reason.text())
        except UserError as exc:
            _show_errors(self.error, self.widgets, exc)
            return
        self.accept()


class RetentionDialog(QDialog):
    """到期删除: the files whose retention is due (never case evidence, important or permanent
    ones); the clerk selects rows and deletes them with a reason; the permanent deletion log."""

    def __init__(self, db: Database, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setWindowTitle("保存期限到期的音像文件")
        fit_to_screen(self, 1000, 620)
        self.deleted = 0
        self.as_of = DateField()
        self.as_of.set_date(dt.date.today())
        refresh = QPushButton("刷新")
        refresh.clicked.connect(self.reload)
        cols: list[Column[retention.Proposal]] = [
            Column("编号", lambda p: p.record_id, 60, True),
            Column("拍摄时间", lambda p: p.media_start, 125),
            Column("执法活动", lambda p: p.activity, 70),
            Column("设备", lambda p: p.device_no, 90),
            Column("保存(年)", lambda p: p.years, 60, True),
            Column("到期日", lambda p: p.due_on, 90),
            Column("文件", lambda p: p.path, 420),
        ]
        self.proposals: ListTableModel[retention.Proposal] = ListTableModel(cols, self)
        self.proxy = FilterProxy(self)
        self.proxy.setSourceModel(self.proposals)
        self.view = make_view(self, "av_retention")
        self.view.setModel(self.proxy)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        apply_widths(self.view, cols)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._set_buttons())
        self.reason = QLineEdit()
        self.reason.setPlaceholderText(retention.DEFAULT_REASON)
        self.delete_btn = QPushButton("删除所选…")
        self.delete_btn.clicked.connect(self.delete_selected)
        self.count = QLabel()
        self.error = error_label()
        log_cols: list[Column[retention.DeletionView]] = [
            Column("删除时间", lambda d: d.deleted_at, 125),
            Column("批准人", lambda d: d.deleted_by, 80),
            Column("原因", lambda d: d.reason, 120),
            Column("文件状态", lambda d: d.file_state, 90),
            Column("执法活动", lambda d: d.activity, 70),
            Column("案件编号", lambda d: d.case_no, 110),
            Column("大小(字节)", lambda d: d.size, 90, True),
            Column("SHA-256", lambda d: d.sha256, 200),
            Column("文件", lambda d: d.path, 360),
        ]
        self.log: ListTableModel[retention.DeletionView] = ListTableModel(log_cols, self)
        self.log_view = make_view(self, "av_deletion_log")
        self.log_view.setModel(self.log)
        apply_widths(self.log_view, log_cols)

        due = QWidget()
        dl = QVBoxLayout(due)
        top = QHBoxLayout()
        top.addWidget(QLabel("到期日不晚于"))
        top.addWidget(self.as_of)
        top.addWidget(refresh)
        top.addStretch(1)
        top.addWidget(self.count)
        dl.addLayout(top)
        info = QLabel(
            "关联案件（作为案件证据）、标为重点、保存期限为永久的文件从不列出。"
            "删除后文件从存储位置删去，索引中的记录保留并标为已删除，删除记录永久保存。"
        )
        info.setWordWrap(True)
        dl.addWidget(info)
        dl.addWidget(self.view, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(QLabel("删除原因"))
        bottom.addWidget(self.reason, 1)
        bottom.addWidget(self.delete_btn)
        dl.addLayout(bottom)
        dl.addWidget(error_area(self.error))
        self.tabs = QTabWidget()
        self.tabs.addTab(due, "到期文件")
        self.tabs.addTab(self.log_view, "删除记录（永久保存）")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs, 1)
        lay.addWidget(buttons)
        self.reload()

    def _as_of(self) -> dt.date:
        try:
            return self.as_of.date() or dt.date.today()
        except ValueError:
            return dt.date.today()

    def reload(self) -> None:
        as_of = self._as_of()
        rows = retention.proposals(self.db, as_of)
        self.proposals.set_rows(rows)
        self.log.set_rows(retention.deletion_log(self.db))
        self.count.setText(f"到期 {len(rows)} 个文件")
        self._set_buttons()

    def selected(self) -> list[retention.Proposal]:
        rows = sorted(
            {self.proxy.mapToSource(i).row() for i in self.view.selectionModel().selectedRows()}
        )
        return [self.proposals.row_at(r) for r in rows]

    def _set_buttons(self) -> None:
        self.delete_btn.setEnabled(bool(self.selected()))

    def confirm(self, n: int, size: int) -> bool:
        return (
            QMessageBox.warning(
                self,
                "删除音像文件",
                f"从存储位置永久删除所选 {n} 个文件（共 {size / 2**20:.1f} MiB）？\n"
                "删除后无法恢复；删除记录永久保存。",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            == QMessageBox.StandardButton.Yes
        )

    def delete_selected(self) -> None:
        picked = self.selected()
        if not picked or not self.confirm(len(picked), sum(p.size for p in picked)):
            return
        self.error.hide()
        try:
            res = retention.delete(
                self.db,
                [p.record_id for p in picked],
                reason=self.reason.text(),
                as_of=self._as_of(),
            )
        except UserError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return
        self.deleted += len(res.deleted)
        if res.refused:
            self.error.setText("；".join(m for _i, m in res.refused))
            self.error.show()
        self.reload()
