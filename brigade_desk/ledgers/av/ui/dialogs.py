"""AV dialogs: ingest a folder (with progress and cancel), edit a record, edit a name pattern."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.core import settings
from brigade_desk.core.changes import Changes
from brigade_desk.core.errors import Cancelled, ValidationError
from brigade_desk.core.progress import Progress
from brigade_desk.ledgers.av import settings as av_settings
from brigade_desk.ledgers.av.ingest import (
    IN_PLACE_WARNING,
    REMOVABLE_WARNING,
    IngestOptions,
    IngestResult,
    in_place_warning,
    ingest,
    is_removable,
)
from brigade_desk.ledgers.av.models import ACTIVITIES
from brigade_desk.ledgers.av.service import AvDetail, AvEdit, AvService, KiBProgress
from brigade_desk.ui.context import AppContext
from brigade_desk.ui.widgets.forms import (
    UnsavedGuard,
    dialog_buttons,
    dialog_layout,
    error_label,
    mark,
    text_box,
    unsaved_baseline,
)
from brigade_desk.ui.widgets.screen import error_area, fit_to_screen

NONE = "（不指定）"


def officer_combo(officers: list[tuple[int, str]], current: int | None = None) -> QComboBox:
    c = QComboBox()
    c.setEditable(True)  # type to find a name among hundreds
    c.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    c.addItem(NONE, None)
    for i, label in officers:
        c.addItem(label, i)
    if current is not None:
        idx = c.findData(current)
        c.setCurrentIndex(max(0, idx))
    return c


def combo_id(c: QComboBox) -> int | None:
    """The chosen officer id; a typed text must match an entry exactly."""
    idx = c.findText(c.currentText())
    if idx < 0:
        raise ValueError(c.currentText())
    data = c.itemData(idx)
    return int(data) if data is not None else None


def _folder_row(edit: QLineEdit, parent: QWidget, title: str) -> QWidget:
    w = QWidget()
    lay = QHBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(edit, 1)
    b = QPushButton("浏览…")
    b.clicked.connect(
        lambda: edit.setText(
            QFileDialog.getExistingDirectory(parent, title, edit.text()) or edit.text()
        )
    )
    lay.addWidget(b)
    return w


class IngestDialog(QDialog):
    """Folder, defaults for the batch, archive copy; runs through the task helper (progress + 取消)."""

    def __init__(
        self, ctx: AppContext, service: AvService, parent: QWidget | None = None, folder: str = ""
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.service = service
        self.setWindowTitle("音像文件入库")
        fit_to_screen(self, 620, 520)
        self.result_obj: IngestResult | None = None
        officers = service.officers()
        self.folder = QLineEdit(folder)
        self.folder.setPlaceholderText("执法记录仪导出的文件夹（含子文件夹）")
        self.case_no = QLineEdit()
        self.case_no.setPlaceholderText("如 乐交执罚〔2026〕12号；可留空")
        self.activity = QComboBox()
        self.activity.addItems(ACTIVITIES)
        self.activity.setCurrentText("其他")
        self.officer = officer_combo(officers)
        self.officer2 = officer_combo(officers)
        self.device = QLineEdit()
        self.device.setPlaceholderText("文件名不带设备号时使用")
        self.target = QLineEdit()
        self.target.setPlaceholderText("当事人 / 车牌号")
        self.place = QLineEdit()
        # archive by default: the files are copied (verified) into the archive root; indexing in
        # place is an explicit choice, warned about
        self.default_archive = str(settings.read(ctx.db, av_settings.AV_ARCHIVE_ROOT) or "").strip()
        self.copy = QRadioButton(
            "复制到归档位置（推荐；按 年/月/设备 存放，复制后校验，不覆盖已有的不同文件）"
        )
        self.in_place = QRadioButton("原位登记（不复制，文件留在原处）")
        mode = QButtonGroup(self)
        mode.addButton(self.copy)
        mode.addButton(self.in_place)
        self.copy.setChecked(True)
        self.archive = QLineEdit(
            self.default_archive or str(ctx.qsettings.value("av/archive", "") or "")
        )
        self.archive.setPlaceholderText("如 D:\\执法音像归档")
        self.archive_row = _folder_row(self.archive, self, "选择归档位置")
        self.make_default = QCheckBox("设为默认归档位置（以后入库和命令行都用它）")
        self.make_default.setChecked(not self.default_archive)
        self.place_warning = QLabel()
        self.place_warning.setWordWrap(True)
        self.place_warning.setStyleSheet("color:#b45309; font-weight:bold")
        self.place_warning.hide()
        self.copy.toggled.connect(self._mode_changed)
        self.folder.textChanged.connect(lambda _t: self._mode_changed())
        self.workers = QSpinBox()
        self.workers.setRange(1, 8)
        self.workers.setValue(2)
        self.error = error_label()
        self.report = text_box()
        self.report.setReadOnly(True)
        self.report.setPlaceholderText("入库结果将显示在这里")
        form = QFormLayout()
        form.addRow("文件夹 *", _folder_row(self.folder, self, "选择要入库的文件夹"))
        form.addRow("案件编号", self.case_no)
        form.addRow("执法活动", self.activity)
        form.addRow("执法人员", self.officer)
        form.addRow("第二执法人员", self.officer2)
        form.addRow("执法记录仪编号", self.device)
        form.addRow("执法对象", self.target)
        form.addRow("地点", self.place)
        form.addRow("保存方式", self.copy)
        form.addRow("", self.in_place)
        form.addRow("归档位置", self.archive_row)
        form.addRow("", self.make_default)
        form.addRow(self.place_warning)
        self.workers.setToolTip("同时计算校验值的文件数；机械硬盘或 U 盘上设为 1 往往更快")
        form.addRow("同时处理文件数", self.workers)
        self.buttons = QDialogButtonBox()
        self.start_btn = self.buttons.addButton("开始入库", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_btn = self.buttons.addButton("关闭", QDialogButtonBox.ButtonRole.RejectRole)
        self.start_btn.clicked.connect(self.start)
        self.close_btn.clicked.connect(
            UnsavedGuard(self).cancel
        )  # and Esc, the close button: ask first
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(error_area(self.error))
        lay.addWidget(self.report, 1)
        lay.addWidget(self.buttons)

    def _mode_changed(self) -> None:
        archive = self.copy.isChecked()
        self.archive_row.setEnabled(archive)
        self.make_default.setEnabled(archive)
        if archive:
            self.place_warning.hide()
            return
        folder = self.folder.text().strip()
        self.place_warning.setText(
            "⚠ " + (in_place_warning(folder) if folder else IN_PLACE_WARNING)
        )
        self.place_warning.show()

    def options(self) -> tuple[str, IngestOptions]:
        errs: dict[str, str] = {}
        for w in (self.folder, self.archive, self.officer, self.officer2):
            mark(w, False)
        folder = self.folder.text().strip()
        if not folder:
            errs["folder"] = "请填写「文件夹」"
            mark(self.folder, True, errs["folder"])
        elif not Path(folder).is_dir():
            errs["folder"] = f"「文件夹」不存在：{folder}"
            mark(self.folder, True, errs["folder"])
        ids: dict[str, int | None] = {}
        for key, combo, label in (
            ("officer", self.officer, "执法人员"),
            ("officer2", self.officer2, "第二执法人员"),
        ):
            try:
                ids[key] = combo_id(combo)
            except ValueError:
                errs[key] = f"「{label}」不在花名册中：{combo.currentText()}"
                mark(combo, True, errs[key])
        copy_to = None
        if self.copy.isChecked():
            copy_to = self.archive.text().strip()
            if not copy_to:
                errs["archive"] = (
                    "请填写「归档位置」（入库默认把文件复制到归档位置保存），或选择「原位登记」"
                )
                mark(self.archive, True, errs["archive"])
        if errs:
            raise ValidationError(errs)
        return folder, IngestOptions(
            case_no=self.case_no.text().strip(),
            activity=self.activity.currentText(),
            officer_id=ids.get("officer"),
            officer2_id=ids.get("officer2"),
            device_no=self.device.text().strip(),
            target=self.target.text().strip(),
            place=self.place.text().strip(),
            copy_to=copy_to,
            in_place=not self.copy.isChecked(),
            workers=self.workers.value(),
        )

    def start(self) -> None:
        try:
            folder, opts = self.options()
        except ValidationError as exc:
            self.error.setText("；".join(exc.fields.values()))
            self.error.show()
            return
        self.error.hide()
        if (
            opts.case_no
            and self.service.case_known(opts.case_no) is False
            and QMessageBox.question(
                self,
                "案件编号",
                f"案件登记中没有案号“{opts.case_no}”。\n仍然按此案号入库吗？"
                "（可先在“案卷评查 → 案件登记”中登记该案件；案号中的括号写法不影响匹配）",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            != QMessageBox.StandardButton.Yes
        ):
            return
        if opts.in_place and not self._confirm_in_place(folder):
            return
        if opts.copy_to:
            self.ctx.qsettings.setValue("av/archive", str(opts.copy_to))
            if self.make_default.isChecked() and str(opts.copy_to) != self.default_archive:
                settings.save_many(self.ctx.db, {av_settings.AV_ARCHIVE_ROOT: str(opts.copy_to)})
                self.default_archive = str(opts.copy_to)
        self.start_btn.setEnabled(False)
        db = self.ctx.db

        def work(progress: Progress) -> IngestResult:
            return ingest(db, folder, opts, progress=KiBProgress(progress))

        self.ctx.tasks.run(
            work,
            on_success=self._done,
            on_failure=self._failed,
            label="正在入库（计算 SHA-256）…",
            parent=self,
            writes=True,
            show_after_ms=0,
        )

    def _confirm_in_place(self, folder: str) -> bool:
        """原位登记 on removable media is asked about once more (the card will be wiped)."""
        if not is_removable(folder):
            return True
        return (
            QMessageBox.warning(
                self,
                "原位登记",
                REMOVABLE_WARNING + "\n仍然原位登记吗？",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            == QMessageBox.StandardButton.Yes
        )

    def _done(self, res: IngestResult) -> None:
        self.result_obj = res
        self.start_btn.setEnabled(True)
        lines = [res.summary()]
        if res.errors:  # first: what the clerk has to act on
            lines.append(f"以下 {len(res.errors)} 项未能登记：")
            lines += [
                f"未登记（{e.get('kind', '文件')}）：{e['path']}：{e['message']}"
                for e in res.errors[:500]
            ]
            if len(res.errors) > 500:
                lines.append(
                    f"……另有 {len(res.errors) - 500} 项未列出（命令行 av ingest 可列出全部）"
                )
        lines += [f"清理：{c}" for c in res.cleanup]
        if res.attribution:  # who each file was attributed to, problems first
            lines.append(res.attribution_summary())
            ordered = sorted(
                res.attribution, key=lambda a: a["kind"] == "holder" and not a["conflict"]
            )
            lines += [
                f"人员：{'⚠ ' if a['conflict'] or a['kind'] != 'holder' else ''}"
                f"{a['path']}：{a['message']}"
                for a in ordered[:1000]
            ]
            if len(ordered) > 1000:
                lines.append(
                    f"……另有 {len(ordered) - 1000} 个文件未列出（命令行 av ingest 可列出全部）"
                )
        lines += [f"重复：{d['path']}（与 {d['existing']} 内容相同）" for d in res.duplicates[:200]]
        lines += [f"归档重名另存：{r['to']}" for r in res.renamed[:200]]
        lines += [f"跳过（非音像文件）：{p}" for p in res.skipped[:50]]
        self.report.setPlainText("\n".join(lines))
        unsaved_baseline(self)  # what was typed has been used: closing loses nothing
        self.ctx.changed(Changes.AV)
        self.ctx.say(res.summary())

    def _failed(self, exc: BaseException) -> None:
        self.start_btn.setEnabled(True)
        if isinstance(exc, ValidationError | Cancelled):
            self.error.setText(str(exc) or "已取消")
            self.error.show()
            return
        self.ctx.tasks.unhandled_error.emit(exc)


class RecordDialog(QDialog):
    """Edit what the clerk knows about a recording (the file facts and hash are not editable)."""

    def __init__(self, service: AvService, d: AvDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.record_id = d.id
        self.setWindowTitle(f"音像记录 — {d.file_name}")
        officers = service.officers()
        self.case_no = QLineEdit(d.case_no)
        self.activity = QComboBox()
        self.activity.addItems(ACTIVITIES)
        self.activity.setCurrentText(d.activity)
        self.officer = officer_combo(officers, d.officer_id)
        self.officer2 = officer_combo(officers, d.officer2_id)
        self.target = QLineEdit(d.target)
        self.place = QLineEdit(d.place)
        self.notes = text_box(d.notes)
        self.notes.setMaximumHeight(80)
        self.important = QCheckBox("重点文件")
        self.important.setChecked(d.important)
        self.error = error_label()
        form = QFormLayout()
        form.addRow("文件", QLabel(d.path))
        form.addRow("SHA-256", QLabel(d.sha256))
        form.addRow("案件编号", self.case_no)
        form.addRow("执法活动", self.activity)
        form.addRow("执法人员", self.officer)
        form.addRow("第二执法人员", self.officer2)
        form.addRow("执法对象", self.target)
        form.addRow("地点", self.place)
        form.addRow("备注", self.notes)
        form.addRow(self.important)
        dialog_layout(self, form, self.error, dialog_buttons(self, self.save))
        self.widgets: dict[str, QWidget] = {
            "case_no": self.case_no,
            "activity": self.activity,
            "officer_id": self.officer,
            "officer2_id": self.officer2,
            "target": self.target,
            "place": self.place,
        }

    def save(self) -> None:
        for w in self.widgets.values():
            mark(w, False)
        errs: dict[str, str] = {}
        ids: dict[str, Any] = {}
        for key, combo, label in (
            ("officer_id", self.officer, "执法人员"),
            ("officer2_id", self.officer2, "第二执法人员"),
        ):
            try:
                ids[key] = combo_id(combo)
            except ValueError:
                errs[key] = f"「{label}」不在花名册中：{combo.currentText()}"
        try:
            if errs:
                raise ValidationError(errs)
            self.service.update(
                self.record_id,
                AvEdit(
                    case_no=self.case_no.text(),
                    activity=self.activity.currentText(),
                    officer_id=ids["officer_id"],
                    officer2_id=ids["officer2_id"],
                    target=self.target.text(),
                    place=self.place.text(),
                    notes=self.notes.toPlainText(),
                    important=self.important.isChecked(),
                ),
            )
        except ValidationError as exc:
            for k in exc.fields:
                if k in self.widgets:
                    mark(self.widgets[k], True, exc.fields[k])
            self.error.setText("；".join(exc.fields.values()))
            self.error.show()
            return
        self.accept()


class PatternDialog(QDialog):
    """A file-name pattern: name, regular expression with named groups, order, on/off, and a test."""

    def __init__(
        self, service: AvService, pattern: Any | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.pattern_id = pattern.id if pattern else None
        self.setWindowTitle("文件名规则")
        self.resize(640, 300)
        self.name = QLineEdit(pattern.name if pattern else "")
        self.regex = QLineEdit(
            pattern.regex if pattern else r"^(?P<device>[A-Z0-9]+)_(?P<start>\d{14})\.mp4$"
        )
        self.priority = QSpinBox()
        self.priority.setRange(0, 9999)
        self.priority.setValue(pattern.priority if pattern else 50)
        self.enabled = QCheckBox("启用")
        self.enabled.setChecked(pattern.enabled if pattern else True)
        self.notes = QLineEdit(pattern.notes if pattern else "")
        self.sample = QLineEdit()
        self.sample.setPlaceholderText(
            "输入一个文件名试一试，如 012345_DSJ-A0001_20240315083012_0007IMP.mp4"
        )
        self.sample_out = QLabel()
        self.sample.textChanged.connect(self._try)
        self.regex.textChanged.connect(self._try)
        self.error = error_label()
        form = QFormLayout()
        form.addRow("名称 *", self.name)
        form.addRow("正则表达式 *", self.regex)
        form.addRow(
            QLabel(
                "可用分组：officer（警号）、device（设备号）、start（YYYYMMDDhhmmss）、seq（序号）、imp（重点标记）"
            )
        )
        form.addRow("顺序（小的先试）", self.priority)
        form.addRow("", self.enabled)
        form.addRow("说明", self.notes)
        form.addRow("试一试", self.sample)
        form.addRow("", self.sample_out)
        dialog_layout(self, form, self.error, dialog_buttons(self, self.save))

    def _try(self) -> None:
        if not self.sample.text().strip():
            self.sample_out.setText("")
            return
        try:
            info = self.service.test_pattern(self.regex.text(), self.sample.text().strip())
        except ValidationError as exc:
            self.sample_out.setText("；".join(exc.fields.values()))
            return
        if not info.recognised:
            self.sample_out.setText("不匹配")
            return
        start = f"{info.start:%Y-%m-%d %H:%M:%S}" if info.start else "—"
        self.sample_out.setText(
            f"警号 {info.officer or '—'}，设备 {info.device or '—'}，开始 {start}，"
            f"序号 {info.seq or '—'}，{'重点' if info.important else '非重点'}"
        )

    def save(self) -> None:
        mark(self.name, False)
        mark(self.regex, False)
        try:
            self.service.save_pattern(
                self.pattern_id,
                self.name.text(),
                self.regex.text(),
                self.priority.value(),
                self.enabled.isChecked(),
                self.notes.text(),
            )
        except ValidationError as exc:
            for k in exc.fields:
                mark(self.name if k == "name" else self.regex, True, exc.fields[k])
            self.error.setText("；".join(exc.fields.values()))
            self.error.show()
            return
        self.accept()
