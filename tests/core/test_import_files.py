"""Files that are not a readable .xlsx: every importer refuses them with a clear Chinese message.

Corrupt, truncated, renamed, encrypted (password-protected), old-format, vanished, a directory,
locked or unreadable. Nothing is written to the database.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import zipfile
from pathlib import Path
from typing import Any

import pytest
from dbtemplate import target
from openpyxl import Workbook

from brigade_desk.app.cli import main
from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.core.tabular import books
from brigade_desk.core.tabular import read as tabular
from tests.cfb_util import write_cfb
from tests.hostile_util import IMPORTER_CASES, has_cjk, importer, snapshot, write_rows

KINDS = sorted(REGISTRY.importers())


def good_xlsx(path: Path) -> Path:
    case = IMPORTER_CASES["staff"]
    return write_rows(path, case.headers, [case.valid_row(1), case.valid_row(2)])


def refused(path: Path) -> str:
    """The message for a file that cannot be imported: opened, then every sheet read (a damaged
    sheet is found when it is read)."""
    with pytest.raises(UserError) as ei:
        wb = tabular.open_workbook(path)
        try:
            for ws in wb.worksheets:
                tabular.read_sheet(path, ws)
        finally:
            wb.close()
    msg = ei.value.message
    assert has_cjk(msg) and len(msg) < 400 and "Traceback" not in msg
    return msg


def test_random_bytes_named_xlsx(tmp_path: Path) -> None:
    p = tmp_path / "花名册.xlsx"
    p.write_bytes(os.urandom(3000))
    msg = refused(p)
    assert "花名册.xlsx" in msg and "不是有效的 Excel" in msg and "另存为" in msg


def test_empty_file(tmp_path: Path) -> None:
    p = tmp_path / "空.xlsx"
    p.write_bytes(b"")
    assert "空文件" in refused(p)


def test_truncated_download(tmp_path: Path) -> None:
    data = good_xlsx(tmp_path / "a.xlsx").read_bytes()
    p = tmp_path / "半截.xlsx"
    p.write_bytes(data[: len(data) // 2])
    msg = refused(p)
    assert "半截.xlsx" in msg and "损坏" in msg


def test_csv_and_html_renamed(tmp_path: Path) -> None:
    csv = tmp_path / "名单.xlsx"
    csv.write_text("姓名,身份证号\n张三,630102198503150011\n", encoding="utf-8")
    assert ".csv" in refused(csv)
    html = tmp_path / "导出.xls"
    html.write_text(
        "<html><body><table><tr><td>姓名</td></tr></table></body></html>", encoding="utf-8"
    )
    assert "网页" in refused(html)
    pdf = tmp_path / "扫描件.xlsx"
    pdf.write_bytes(b"%PDF-1.7\n...")
    assert "PDF" in refused(pdf)


def test_other_zip_files(tmp_path: Path) -> None:
    docx = tmp_path / "通知.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    assert "Word" in refused(docx)
    other = tmp_path / "照片.xlsx"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("a.jpg", b"\xff\xd8")
    assert "不是 Excel 工作簿" in refused(other)
    xlsb = tmp_path / "二进制.xlsx"
    with zipfile.ZipFile(xlsb, "w") as z:
        z.writestr("xl/workbook.bin", b"\0")
    assert ".xlsb" in refused(xlsb)


def _rewrite_sheet(src: Path, out: Path, change: Any) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = change(data)
            zout.writestr(item, data)
    return out


def test_broken_xml_inside(tmp_path: Path) -> None:
    src = good_xlsx(tmp_path / "a.xlsx")
    cut = _rewrite_sheet(src, tmp_path / "坏表.xlsx", lambda d: d[: len(d) // 2])
    msg = refused(cut)
    assert "坏表.xlsx" in msg and "损坏" in msg


@pytest.mark.parametrize(
    "bad_cell",
    [
        b'<c r="A2" t="n"><v>abc</v></c>',
        b'<c r="A2" t="d"><v>not-a-date</v></c>',
        b'<c r="A2" t="s"><v>99999</v></c>',
    ],
)
def test_broken_cell_inside(tmp_path: Path, bad_cell: bytes) -> None:
    """A cell openpyxl cannot read: the message names the file and the sheet."""
    import re

    src = good_xlsx(tmp_path / "a.xlsx")
    out = _rewrite_sheet(
        src,
        tmp_path / "坏格.xlsx",
        lambda d: re.sub(rb'<c r="A2"[^>]*>.*?</c>', bad_cell, d, count=1),
    )
    with pytest.raises(UserError) as ei:
        tabular.read_tables(out, [tabular.Column("name", "姓名", required=True)])
    msg = ei.value.message
    assert "坏格.xlsx" in msg and "「数据」" in msg and "损坏" in msg and has_cjk(msg)


def test_handmade_encrypted_workbook(tmp_path: Path) -> None:
    p = write_cfb(tmp_path / "加密.xlsx", ["EncryptionInfo", "EncryptedPackage"])
    assert p.read_bytes()[:8].hex() == "d0cf11e0a1b11ae1"
    msg = refused(p)
    assert "加密.xlsx" in msg and "密码" in msg and "加密" in msg


def test_real_encrypted_workbook(tmp_path: Path) -> None:
    msoffcrypto = pytest.importorskip("msoffcrypto.format.ooxml")
    plain = io.BytesIO(good_xlsx(tmp_path / "plain.xlsx").read_bytes())
    p = tmp_path / "有密码.xlsx"
    with open(p, "wb") as out:
        msoffcrypto.OOXMLFile(plain).encrypt("123456", out)
    msg = refused(p)
    assert "设置了打开密码" in msg


def test_old_xls_and_bare_cfb(tmp_path: Path) -> None:
    xls = write_cfb(tmp_path / "老表.xls", ["Workbook", "\x05SummaryInformation"])
    assert "旧版 Excel（.xls）" in refused(xls)
    renamed = write_cfb(tmp_path / "老表改名.xlsx", ["Workbook"])
    assert "旧版 Excel（.xls）" in refused(renamed)
    bare = tmp_path / "不明.xlsx"
    bare.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 504)
    msg = refused(bare)
    assert "加密" in msg and "旧版" in msg


def test_xlsx_with_another_name_still_opens(tmp_path: Path, db: Database) -> None:
    """Judged by content: an .xlsx saved as .xls, or with no suffix, imports normally."""
    data = good_xlsx(tmp_path / "a.xlsx").read_bytes()
    for name in ("花名册.xls", "花名册", "花名册.xlsx.download"):
        p = tmp_path / name
        p.write_bytes(data)
        tabular.open_workbook(p).close()
    r = importer("staff")(db, tmp_path / "花名册")
    assert r.created == 2 and not r.errors


def test_too_big_and_zip_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = good_xlsx(tmp_path / "巨大.xlsx")
    monkeypatch.setattr(books, "MAX_FILE_BYTES", 1000)
    assert "太大" in refused(p)
    monkeypatch.setattr(books, "MAX_FILE_BYTES", 10**9)
    bomb = tmp_path / "炸弹.xlsx"
    with zipfile.ZipFile(p) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, zin.read(item.filename))
        zout.writestr("xl/media/zeros.bin", b"\0" * (3 * 1024 * 1024))
    monkeypatch.setattr(books, "MAX_UNPACKED_BYTES", 2 * 1024 * 1024)
    assert "解压后" in refused(bomb)
    monkeypatch.setattr(books, "MAX_UNPACKED_BYTES", 10**10)
    tabular.open_workbook(bomb).close()


def test_vanished_path_and_directory(tmp_path: Path) -> None:
    assert "找不到文件" in refused(tmp_path / "不存在.xlsx")
    (tmp_path / "文件夹.xlsx").mkdir()
    assert "是文件夹" in refused(tmp_path / "文件夹.xlsx")


def test_vanishes_between_check_and_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = good_xlsx(tmp_path / "移走.xlsx")
    real_open = builtins.open

    def gone(file: Any, *a: Any, **kw: Any) -> Any:
        if str(file) == str(p):
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(p))
        return real_open(file, *a, **kw)

    monkeypatch.setattr(builtins, "open", gone)
    msg = refused(p)
    assert "已不存在" in msg and "重新选择" in msg


@pytest.mark.skipif(
    os.name == "nt" or (hasattr(os, "geteuid") and os.geteuid() == 0),
    reason="chmod 000 does not stop root (or Windows) from reading",
)
def test_unreadable_file_chmod(tmp_path: Path) -> None:
    p = good_xlsx(tmp_path / "锁.xlsx")
    p.chmod(0)
    try:
        assert "没有权限读取" in refused(p)
    finally:
        p.chmod(0o644)


@pytest.mark.parametrize("how", ["permission", "sharing_violation"])
def test_file_in_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """Excel holding the file: PermissionError (POSIX/Windows) or WinError 32 (sharing violation)."""
    p = good_xlsx(tmp_path / "正在编辑.xlsx")
    real_open = builtins.open

    def locked(file: Any, *a: Any, **kw: Any) -> Any:
        if str(file) == str(p):
            if how == "permission":
                raise PermissionError(errno.EACCES, "Permission denied", str(p))
            exc = OSError(
                errno.EINVAL, "The process cannot access the file because it is being used"
            )
            exc.winerror = 32  # type: ignore[attr-defined]
            raise exc
        return real_open(file, *a, **kw)

    monkeypatch.setattr(builtins, "open", locked)
    msg = refused(p)
    assert "正在编辑.xlsx" in msg and "关闭该文件后重试" in msg
    assert ("没有权限读取" if how == "permission" else "占用") in msg


@pytest.mark.parametrize("kind", KINDS)
def test_cli_says_encrypted_and_writes_nothing(
    kind: str, tmp_path: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    p = write_cfb(tmp_path / "加密.xlsx", ["EncryptionInfo", "EncryptedPackage"])
    before = snapshot(db)
    rc = main(["--db", target(db), "import", kind, str(p)])
    err = capsys.readouterr().err
    assert rc == 1 and "设置了打开密码" in err and "Traceback" not in err
    assert snapshot(db) == before


@pytest.mark.parametrize("kind", KINDS)
def test_cli_vanished_file(
    kind: str, tmp_path: Path, db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(["--db", target(db), "import", kind, str(tmp_path / "没有.xlsx")])
    assert rc == 1 and "找不到文件" in capsys.readouterr().err


def test_workbook_without_dimensions_or_styles(tmp_path: Path, db: Database) -> None:
    """A minimal .xlsx as some systems export it (no styles.xml, no dimension): still read."""
    wb = Workbook()
    ws = wb.active
    ws.title = "数据"
    case = IMPORTER_CASES["staff"]
    ws.append(list(case.headers))
    ws.append(case.valid_row(3))
    src = tmp_path / "a.xlsx"
    wb.save(src)
    out = tmp_path / "精简.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                import re

                data = re.sub(rb"<dimension [^>]*/>", b"", data)
            zout.writestr(item, data)
    r = importer("staff")(db, out)
    assert r.created == 1, r.errors


def test_the_kind_of_import_is_guessed_from_the_header(tmp_path):
    from openpyxl import Workbook

    from brigade_desk.core.tabular.detect import detect_kind as detect

    def detect_kind(path):  # type: ignore[no-untyped-def]
        return detect(path, REGISTRY.importers())

    def book(name, rows):
        wb = Workbook()
        for r in rows:
            wb.active.append(r)
        wb.save(tmp_path / name)
        return tmp_path / name

    assert (
        detect_kind(
            book(
                "花名册.xlsx",
                [["某大队花名册"], [], ["姓名", "身份证号码", "所在中队", "执法证号", "有效期至"]],
            )
        )
        == "staff"
    )
    assert (
        detect_kind(book("案件.xlsx", [["案号", "案由", "当事人", "立案日期", "案件类别"]]))
        == "cases"
    )
    assert (
        detect_kind(book("签到.xlsx", [["培训名称", "培训日期", "学时", "姓名", "签到"]]))
        == "training"
    )
    assert detect_kind(book("别的.xlsx", [["品名", "数量", "单价"]])) is None
    assert detect_kind(tmp_path / "没有这个文件.xlsx") is None
