"""Dialogs of the roster: a person, a certificate, a certificate action."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QLineEdit,
    QMessageBox,
    QWidget,
)

from brigade_desk.core.conflict import ConflictError
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.ledgers.roster.models import CertAction, CertStatus, StaffCategory, StaffStatus
from brigade_desk.ledgers.roster.service import (
    CertInput,
    RosterService,
    StaffInput,
    StaffView,
    validate_staff,
)
from brigade_desk.ui.conflict import offer_reload
from brigade_desk.ui.widgets.forms import (
    DateField,
    dialog_buttons,
    dialog_layout,
    error_label,
    mark,
    text_box,
)


class StaffDialog(QDialog):
    """Add or edit a person. Saves through the service; each wrong field is named and marked."""

    def __init__(
        self,
        service: RosterService,
        staff: StaffView | None,
        squads: list[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.staff_id = staff.id if staff else None
        self.version = staff.version if staff else None  # as opened (core.conflict)
        self.result_id: int | None = None
        self.offer_cancel: list[int] = []
        self.setWindowTitle("编辑人员" if staff else "新增人员")
        self.setMinimumWidth(460)
        s = staff or StaffInput()

        self.name = QLineEdit(s.name)
        self.id_number = QLineEdit(s.id_number)
        self.id_number.setMaxLength(18)
        self.sex = QComboBox()
        self.sex.addItems(["（按身份证号）", "男", "女"])
        self.sex.setCurrentText(s.sex or "（按身份证号）")
        self.squad = QComboBox()
        self.squad.setEditable(True)
        self.squad.addItems(squads)
        self.squad.setCurrentText(s.squad)
        self.post = QLineEdit(s.post)
        self.category = QComboBox()
        self.category.addItems([c.value for c in StaffCategory])
        self.category.setCurrentText(s.category)
        self.legal = QCheckBox("是法制审核人员")
        self.legal.setChecked(s.is_legal_reviewer)
        self.front = QCheckBox("在一线从事执法")
        self.front.setChecked(s.is_front_line)
        self.status = QComboBox()
        self.status.addItems([x.value for x in StaffStatus])
        self.status.setCurrentText(s.status)
        self.status_date = DateField(s.status_date)
        self.bodycam = QLineEdit(s.bodycam_no)
        self.phone = QLineEdit(s.phone)
        self.notes = text_box(s.notes)
        self.notes.setFixedHeight(60)

        self.widgets: dict[str, QWidget] = {
            "name": self.name,
            "id_number": self.id_number,
            "sex": self.sex,
            "squad": self.squad,
            "post": self.post,
            "category": self.category,
            "is_legal_reviewer": self.legal,
            "is_front_line": self.front,
            "status": self.status,
            "status_date": self.status_date.edit,
            "bodycam_no": self.bodycam,
            "phone": self.phone,
            "notes": self.notes,
        }
        form = QFormLayout()
        form.addRow("姓名*", self.name)
        form.addRow("身份证号*", self.id_number)
        form.addRow("性别", self.sex)
        form.addRow("中队", self.squad)
        form.addRow("职务/岗位", self.post)
        form.addRow("人员类别", self.category)
        form.addRow("", self.legal)
        form.addRow("", self.front)
        form.addRow("在岗状态", self.status)
        form.addRow("状态变更日期", self.status_date)
        form.addRow("执法记录仪编号", self.bodycam)
        form.addRow("联系电话", self.phone)
        form.addRow("备注", self.notes)
        self.errors = error_label()
        buttons = dialog_buttons(self, self.save, "保存")
        dialog_layout(self, form, self.errors, buttons)

    def collect(self) -> StaffInput:
        errs: dict[str, str] = {}
        try:
            sd = self.status_date.date()
        except ValueError as exc:
            errs["status_date"] = f"状态变更日期：{exc}"
            sd = None
        sex = self.sex.currentText()
        data = StaffInput(
            name=self.name.text(),
            sex="" if sex.startswith("（") else sex,
            id_number=self.id_number.text(),
            squad=self.squad.currentText().strip(),
            post=self.post.text().strip(),
            category=self.category.currentText(),
            is_legal_reviewer=self.legal.isChecked(),
            is_front_line=self.front.isChecked(),
            status=self.status.currentText(),
            status_date=sd,
            bodycam_no=self.bodycam.text().strip(),
            phone=self.phone.text().strip(),
            notes=self.notes.toPlainText().strip(),
        )
        if errs:  # a wrong date, and everything else that is wrong too, at once
            raise ValidationError({**validate_staff(replace(data)), **errs})
        return data

    def show_errors(self, fields: dict[str, str]) -> None:
        for k, w in self.widgets.items():
            mark(w, k in fields, fields.get(k, ""))
        self.errors.setText("\n".join(fields.values()))
        self.errors.setVisible(bool(fields))
        first = next((self.widgets[k] for k in self.widgets if k in fields), None)
        if first is not None:
            first.setFocus()

    def save(self) -> None:
        try:
            res = self.service.save_staff(self.collect(), self.staff_id, version=self.version)
        except ValidationError as exc:
            self.show_errors(exc.fields)
            return
        except ConflictError as exc:
            self.conflict(exc)
            return
        except UserError as exc:
            QMessageBox.warning(self, "无法保存", exc.message)
            return
        self.result_id = res.staff_id
        self.offer_cancel = res.offer_cancel
        self.accept()

    def conflict(self, exc: ConflictError) -> None:
        """Somebody else saved this person meanwhile: say who, and offer the latest values (the
        clerk's edit stays in the dialog unless he chooses to reload)."""
        if self.staff_id is not None:
            sid = self.staff_id
            offer_reload(self, exc, lambda: self.load(self.service.get(sid)))

    def load(self, s: StaffView) -> None:
        """Show ``s`` (the latest saved values) in the fields; saves compare with its version."""
        self.version = s.version
        self.name.setText(s.name)
        self.id_number.setText(s.id_number)
        self.sex.setCurrentText(s.sex or "（按身份证号）")
        self.squad.setCurrentText(s.squad)
        self.post.setText(s.post)
        self.category.setCurrentText(s.category)
        self.legal.setChecked(s.is_legal_reviewer)
        self.front.setChecked(s.is_front_line)
        self.status.setCurrentText(s.status)
        self.status_date.set_date(s.status_date)
        self.bodycam.setText(s.bodycam_no)
        self.phone.setText(s.phone)
        self.notes.setPlainText(s.notes)
        self.show_errors({})


class CertDialog(QDialog):
    """Register a new certificate for a person, or correct one (recorded in its history)."""

    def __init__(
        self,
        service: RosterService,
        staff_id: int,
        cert: CertInput | None = None,
        cert_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.staff_id = staff_id
        self.cert_id = cert_id
        # as opened (core.conflict): a certificate shown from the roster carries its version
        self.version: int | None = getattr(cert, "version", None) if cert_id else None
        self.setWindowTitle("修改证件信息" if cert_id else "登记执法证件")
        self.setMinimumWidth(440)
        c = cert or CertInput(issuer="")
        self.cert_no = QLineEdit()
        self.issuer = QLineEdit()
        self.issue_date = DateField(c.issue_date)
        self.valid_to = DateField(c.valid_to)
        self.national = QCheckBox("全国统一行政执法证件")
        self.status = QComboBox()
        self.status.addItems([s.value for s in CertStatus])
        self.load(c)
        self.status.setEnabled(cert_id is not None)
        self.status.setToolTip("证件状态的变化请用“证件操作”（暂扣、收回、注销…），以便留下记录")
        self.widgets: dict[str, QWidget] = {
            "cert_no": self.cert_no,
            "issuer": self.issuer,
            "issue_date": self.issue_date.edit,
            "valid_to": self.valid_to.edit,
            "status": self.status,
        }
        form = QFormLayout()
        form.addRow("执法证号*", self.cert_no)
        form.addRow("发证机关", self.issuer)
        form.addRow("发证日期", self.issue_date)
        form.addRow("有效期至*", self.valid_to)
        form.addRow("", self.national)
        form.addRow("证件状态", self.status)
        self.errors = error_label()
        buttons = dialog_buttons(self, self.save, "保存")
        dialog_layout(self, form, self.errors, buttons)

    def load(self, c: CertInput) -> None:
        """Show ``c`` (on opening, and the latest values after a conflict)."""
        self.cert_no.setText(c.cert_no)
        self.issuer.setText(c.issuer)
        self.issue_date.set_date(c.issue_date)
        self.valid_to.set_date(c.valid_to)
        self.national.setChecked(c.national_format)
        self.status.setCurrentText(c.status)
        if self.cert_id is not None:
            self.version = getattr(c, "version", self.version)

    def save(self) -> None:
        errs: dict[str, str] = {}
        dates: dict[str, dt.date | None] = {}
        for key, field, label in (
            ("issue_date", self.issue_date, "发证日期"),
            ("valid_to", self.valid_to, "有效期至"),
        ):
            try:
                dates[key] = field.date()
            except ValueError as exc:
                errs[key] = f"{label}：{exc}"
        try:
            if errs:
                raise ValidationError(errs)
            data = CertInput(
                cert_no=self.cert_no.text(),
                issuer=self.issuer.text().strip(),
                issue_date=dates["issue_date"],
                valid_to=dates["valid_to"],
                national_format=self.national.isChecked(),
                status=self.status.currentText(),
            )
            if self.cert_id is None:
                self.service.add_certificate(self.staff_id, data)
            else:
                self.service.update_certificate(self.cert_id, data, version=self.version)
        except ConflictError as exc:  # another clerk saved it meanwhile: nothing was written
            cid = self.cert_id
            if cid is not None:
                offer_reload(self, exc, lambda: self.load(self.service.get_certificate(cid)))
            return
        except ValidationError as exc:
            for k, w in self.widgets.items():
                mark(w, k in exc.fields, exc.fields.get(k, ""))
            self.errors.setText("\n".join(exc.fields.values()))
            self.errors.show()
            return
        except UserError as exc:
            QMessageBox.warning(self, "无法保存", exc.message)
            return
        self.accept()


ACTION_HELP = {
    CertAction.RENEW: "换发：填写新证信息。证号改变时旧证自动注销并留下记录。",
    CertAction.SUSPEND: "暂扣：执法过错追究等期间暂停执法资格。",
    CertAction.RESTORE: "恢复：暂扣期满，恢复为有效。",
    CertAction.REVOKE: "收回：证件被收回。",
    CertAction.CANCEL: "注销：司法行政部门已办结注销。",
    CertAction.REQUEST_CANCEL: "申请注销：已报司法行政部门申请注销，等待办结。",
    CertAction.MARK_RENEWAL: "标记待换发：需换发为全国统一证件或即将到期。",
}


class CertActionDialog(QDialog):
    def __init__(
        self,
        service: RosterService,
        cert_id: int,
        cert_no: str,
        action: CertAction,
        parent: QWidget | None = None,
        reason: str = "",
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.cert_id = cert_id
        self.action = action
        self.setWindowTitle(f"证件{action.value}：{cert_no}")
        self.setMinimumWidth(440)
        self.date = DateField(dt.date.today())
        self.reason = QLineEdit(reason)
        form = QFormLayout()
        form.addRow("", _label(ACTION_HELP.get(action, "")))
        form.addRow("日期*", self.date)
        form.addRow("原因", self.reason)
        self.renew: dict[str, QWidget] = {}
        if action == CertAction.RENEW:
            self.new_no = QLineEdit(cert_no)
            self.new_issuer = QLineEdit()
            self.new_issue = DateField(dt.date.today())
            self.new_valid = DateField(None)
            self.new_national = QCheckBox("全国统一行政执法证件")
            self.new_national.setChecked(True)
            form.addRow("新证号*", self.new_no)
            form.addRow("发证机关", self.new_issuer)
            form.addRow("发证日期", self.new_issue)
            form.addRow("有效期至*", self.new_valid)
            form.addRow("", self.new_national)
            self.renew = {
                "cert_no": self.new_no,
                "issue_date": self.new_issue.edit,
                "valid_to": self.new_valid.edit,
            }
        self.errors = error_label()
        buttons = dialog_buttons(self, self.save, "确定", ok=True)
        dialog_layout(self, form, self.errors, buttons)

    def save(self) -> None:
        try:
            try:
                date = self.date.date()
            except ValueError as exc:
                raise ValidationError({"date": f"日期：{exc}"}) from None
            if date is None:
                raise ValidationError({"date": "日期：不能为空"})
            renewal = None
            if self.action == CertAction.RENEW:
                try:
                    issue, valid = self.new_issue.date(), self.new_valid.date()
                except ValueError as exc:
                    raise ValidationError({"valid_to": f"新证日期：{exc}"}) from None
                renewal = CertInput(
                    cert_no=self.new_no.text(),
                    issuer=self.new_issuer.text().strip(),
                    issue_date=issue,
                    valid_to=valid,
                    national_format=self.new_national.isChecked(),
                )
            self.service.cert_action(
                self.cert_id, self.action, date=date, reason=self.reason.text(), renewal=renewal
            )
        except ValidationError as exc:
            mark(self.date.edit, "date" in exc.fields, exc.fields.get("date", ""))
            mark(self.reason, "reason" in exc.fields, exc.fields.get("reason", ""))
            for k, w in self.renew.items():
                mark(w, k in exc.fields, exc.fields.get(k, ""))
            self.errors.setText("\n".join(exc.fields.values()))
            self.errors.show()
            return
        except UserError as exc:
            QMessageBox.warning(self, "无法完成", exc.message)
            return
        self.accept()


def _label(text: str) -> QWidget:
    from PySide6.QtWidgets import QLabel

    lab = QLabel(text)
    lab.setWordWrap(True)
    lab.setStyleSheet("color:#555")
    return lab
