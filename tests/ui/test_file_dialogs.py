"""Save dialogs start in the folder the clerk saved to last, not in the program's own folder."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from brigade_desk.ui.widgets import files


def test_the_next_save_starts_where_the_last_one_went(
    gui_ctx, qtbot, tmp_path: Path, monkeypatch
) -> None:
    host = QWidget()
    host.ctx = gui_ctx  # type: ignore[attr-defined]  # as the main window carries it
    qtbot.addWidget(host)
    asked: list[str] = []
    target = tmp_path / "导出 #1 %"
    target.mkdir()

    def dialog(_parent: object, _title: str, start: str, _filt: str = "") -> tuple[str, str]:
        asked.append(start)
        return (str(target / Path(start).name), "")

    monkeypatch.setattr(QFileDialog, "getSaveFileName", dialog)
    first = files.save_file_name(host, "导出花名册", "花名册.xlsx", "Excel 工作簿 (*.xlsx)")
    assert Path(first) == target / "花名册.xlsx"
    assert (
        Path(asked[0]).parent != Path.cwd() or Path.cwd() == Path.home()
    )  # not the program's folder
    files.save_file_name(host, "导出培训台账", "2025年培训台账.xlsx")
    assert Path(asked[1]) == target / "2025年培训台账.xlsx"
    assert gui_ctx.qsettings.value(files.KEY) == str(target)  # remembered for the next start too


def test_a_cancelled_save_changes_nothing(gui_ctx, qtbot, monkeypatch) -> None:
    host = QWidget()
    host.ctx = gui_ctx  # type: ignore[attr-defined]
    qtbot.addWidget(host)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a: ("", ""))
    assert files.save_file_name(host, "导出", "x.xlsx") == ""
    assert gui_ctx.qsettings.value(files.KEY) is None


def test_open_dialogs_start_where_the_clerk_saved_last(
    gui_ctx, qtbot, tmp_path: Path, monkeypatch
) -> None:
    host = QWidget()
    host.ctx = gui_ctx  # type: ignore[attr-defined]
    qtbot.addWidget(host)
    gui_ctx.qsettings.setValue(files.KEY, str(tmp_path))
    starts: list[str] = []
    monkeypatch.setattr(
        QFileDialog,
        "getOpenFileName",
        lambda _p, _t, start, _f="": starts.append(start) or ("", ""),
    )
    monkeypatch.setattr(
        QFileDialog, "getExistingDirectory", lambda _p, _t, start: starts.append(start) or ""
    )
    assert files.open_file_name(host, "选择上级模板", "Excel 工作簿 (*.xlsx)") == ""
    assert files.existing_folder(host, "选择保存图表的文件夹") == ""
    assert starts == [str(tmp_path), str(tmp_path)]
