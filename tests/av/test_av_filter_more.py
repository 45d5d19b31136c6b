"""Two more filters of the AV index (issue 19's custody, from the list): 人员待核实 — files whose
officer the device register could not give (no holder, unregistered device, no device number) or
that disagreed with the batch's officer, until corrected — and 已删除（保存期满）. In SQL, with the
count beside the list; the page's checkbox and status list drive them."""

from __future__ import annotations

import datetime as dt

from av_fixtures import write
from sqlalchemy import select

from brigade_desk.ledgers.av.ingest import IngestOptions, ingest
from brigade_desk.ledgers.av.models import AvAttribution, AvDeletion, AvRecord
from brigade_desk.ledgers.av.service import AvFilter, AvService
from brigade_desk.ledgers.av.ui.page import AvPage


def _library(db, tmp_path) -> dict[str, int]:
    src = tmp_path / "卡 #1"
    for k, name in enumerate(["holder", "no_holder", "unknown", "conflict", "corrected", "gone"]):
        write(src / f"2024031508301{k}_{name}.mp4", name.encode() * 10)
    assert ingest(db, src, IngestOptions(in_place=True, activity="现场检查")).added == 6
    with db.begin() as s:
        ids = {r.file_name.split("_", 1)[1][:-4]: r.id for r in s.scalars(select(AvRecord))}
        for name, kind, conflict in [
            ("holder", "holder", False),
            ("no_holder", "no_holder", False),
            ("unknown", "unknown_device", False),
            ("conflict", "holder", True),
            ("corrected", "corrected", False),
        ]:
            att = s.get(AvAttribution, ids[name])
            if att is None:
                s.add(AvAttribution(record_id=ids[name], kind=kind, conflict=conflict))
            else:
                att.kind, att.conflict = kind, conflict
        r = s.get(AvRecord, ids["gone"])
        s.add(
            AvDeletion(
                record_id=r.id,
                path=str(src / r.file_name),
                file_name=r.file_name,
                sha256=r.sha256,
                size=r.size,
                file_state="已删除",
                reason="保存期满",
                deleted_by="测试",
                deleted_at=dt.datetime(2026, 12, 1, 9, 0),
            )
        )
    return ids


def test_filters_in_sql_and_on_the_page(db, gui_ctx, qtbot, tmp_path) -> None:
    ids = _library(db, tmp_path)
    svc = AvService(db)
    with db.session() as s:  # what ingest recorded for the "gone" file stays as it was
        gone_att = s.get(AvAttribution, ids["gone"])
    expected = {ids["no_holder"], ids["unknown"], ids["conflict"]}
    if gone_att is not None and gone_att.to_check:
        expected.add(ids["gone"])
    f = AvFilter(attribution_to_check=True)
    assert set(svc.ids(f)) == expected and svc.count(f) == len(expected)
    f = AvFilter(status="deleted")
    assert svc.ids(f) == [ids["gone"]] and svc.count(f) == 1

    page = AvPage(gui_ctx)
    qtbot.addWidget(page)
    page.show()
    assert page.model.rowCount() == 6
    page.to_check.setChecked(True)
    assert {page.model.row(i).id for i in range(page.model.rowCount())} == expected
    page.to_check.setChecked(False)
    page.status.setCurrentIndex(page.status.findData("deleted"))
    assert [page.model.row(i).id for i in range(page.model.rowCount())] == [ids["gone"]]
    assert page.count_label.text() == "1 / 6 条"
