"""考试成绩: the results of one exam (or of every exam of the year) and the one-click 成绩通报 PDF."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from brigade_desk.ledgers.training.service import ExamRow
from brigade_desk.ledgers.training.ui.common import ALL, TrainingHost, TrainingTab, make_table
from brigade_desk.ui.exporting import run_export
from brigade_desk.ui.widgets.files import save_file_name
from brigade_desk.ui.widgets.table import MUTED, PROBLEM, Column, save_header

HEADER_KEY = "training_exams"


class ExamsTab(TrainingTab):
    def __init__(self, page: TrainingHost) -> None:
        super().__init__(page)
        self.exam = QComboBox()
        self.exam.setMinimumWidth(320)
        self.only_failed = QCheckBox("只看不合格/缺考")
        self.notice_btn = QPushButton("生成成绩通报 PDF…")
        self.stats = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("考试"))
        bar.addWidget(self.exam, 1)
        bar.addWidget(self.only_failed)
        bar.addWidget(self.stats)
        bar.addWidget(self.notice_btn)
        cols: list[Column[ExamRow]] = [
            Column("日期", lambda r: r.date, 90),
            Column("培训/考试", lambda r: r.title, 260),
            Column("姓名", lambda r: r.name, 80),
            Column("中队", lambda r: r.squad, 100),
            Column("成绩", lambda r: r.score, 60, True),
            Column(
                "结果",
                lambda r: (
                    ("合格" if r.passed else "不合格")
                    if r.attended and r.passed is not None
                    else ("缺考" if not r.attended else "无成绩")
                ),
                60,
            ),
            Column("缺考原因", lambda r: r.absence_reason, 120),
        ]
        self.model, self.proxy, self.view = make_table(self, cols, HEADER_KEY, self.ctx)
        self.model.row_color = lambda r: (
            PROBLEM if r.passed is False else (MUTED if not r.attended else None)
        )
        self.exam.currentIndexChanged.connect(lambda _i: self._load_rows())
        self.only_failed.toggled.connect(lambda _b: self.apply_filter())
        self.notice_btn.clicked.connect(lambda: self.make_notice())
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.view, 1)

    def reload(self) -> None:
        """The exams of the year (the latest chosen unless one was), then its results."""
        svc, year = self.service, self.page.current_year()

        def done(exams: list[tuple[int, dt.date, str]]) -> None:
            keep = self.exam.currentData()
            self.exam.blockSignals(True)
            self.exam.clear()
            self.exam.addItem(ALL, None)
            for sid, day, title in exams:
                self.exam.addItem(f"{day:%Y-%m-%d} {title}", sid)
            idx = self.exam.findData(keep) if keep else (1 if exams else 0)
            self.exam.setCurrentIndex(max(0, idx))
            self.exam.blockSignals(False)
            self._load_rows()

        self.page.run(lambda _p: svc.exam_sessions(year), done, "正在读取考试…")

    def _load_rows(self) -> None:
        """The results of the exam chosen (or of every exam of the year), read in SQL."""
        svc, year, sid = self.service, self.page.current_year(), self.exam.currentData()

        def done(rows: list[ExamRow]) -> None:
            self.model.set_rows(rows)
            self.apply_filter()

        self.page.run(
            lambda _p: (
                svc.exam_results(year)
                if sid is None
                else svc.exam_results(training_session_id=int(sid))
            ),
            done,
            "正在读取考试成绩…",
        )

    def apply_filter(self) -> None:
        sid = self.exam.currentData()
        failed = self.only_failed.isChecked()
        self.proxy.set_predicate(lambda r: not failed or r.passed is False or not r.attended)
        rows = self.model.rows  # already those of the exam chosen
        scored = [r for r in rows if r.score is not None]
        ok = sum(1 for r in scored if r.passed)
        self.stats.setText(
            f"参考 {len(scored)} 人，合格 {ok} 人"
            + (f"，合格率 {ok / len(scored):.0%}" if scored else "")
        )
        self.notice_btn.setEnabled(sid is not None)

    def make_notice(self, path: str | None = None) -> None:
        sid = self.exam.currentData()
        if sid is None:
            QMessageBox.information(self, "成绩通报", "请先在“考试”中选择一次考试。")
            return
        if path is None:
            label = self.exam.currentText().replace("/", "-")
            path = save_file_name(
                self,
                "保存成绩通报",
                f"{label}成绩通报.pdf",
                "PDF 文件 (*.pdf);;Word 文档，可修改 (*.docx)",
            )
            if not path:
                return
            if not path.lower().endswith((".pdf", ".docx")):
                path += ".pdf"
        run_export(
            self.ctx,
            self,
            "exam-notice",
            path,
            target=str(int(sid)),
            label="正在生成成绩通报…",
            said="已生成成绩通报",
        )

    def filter_field(self) -> QWidget | None:
        return self.exam

    def save_state(self) -> None:
        save_header(self.view, self.ctx.qsettings, HEADER_KEY)
