"""Demo data is realistic; domain code imports no Qt."""

import re
from pathlib import Path

import pytest
from dbtemplate import all_rows, fresh_db, ledger_dir, new_target, target

from brigade_desk.app import demo
from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import idcard
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError
from brigade_desk.ledgers.roster.service import RosterService

ROOT = Path(__file__).resolve().parents[2]


def test_small_demo_is_realistic(db: Database) -> None:
    counts = demo.fill(db, size="small", seed=3)
    people = RosterService(db).list_staff()
    assert 55 <= counts["staff"] <= 70
    assert len(people) == counts["staff"]
    assert all(idcard.validate(p.id_number) is None for p in people)
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", p.name) for p in people)
    assert all(idcard.sex_of(p.id_number) == p.sex for p in people)
    assert not any(p.certificates for p in people if p.category == "执法辅助人员")
    with pytest.raises(UserError, match="已有数据"):
        demo.fill(db, size="small")


def test_demo_is_reproducible(tmp_path: Path) -> None:

    names = []
    for i in range(2):
        d = fresh_db(tmp_path / f"{i}.sqlite")
        demo.fill(d, size="small", seed=11)
        names.append([p.id_number for p in RosterService(d).list_staff()])
        d.close()
    assert names[0] == names[1]


def test_domain_imports_no_qt() -> None:
    offenders = []
    for p in (ROOT / "brigade_desk").rglob("*.py"):
        rel = p.relative_to(ROOT / "brigade_desk")
        # Qt lives in the shell (ui/), each ledger's ui/ package and the GUI entry (app/gui.py)
        if "ui" in rel.parts[:-1] or rel.as_posix() == "app/gui.py":
            continue
        if re.search(r"^\s*(from|import)\s+PySide6", p.read_text(encoding="utf-8"), re.M):
            offenders.append(str(p))
    assert offenders == []


def _snapshot(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table (read past the program)."""
    return all_rows(path)


def test_failed_demo_leaves_the_database_as_it_was_and_can_be_rerun(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """Issue 13: a demo failing midway (after roster, training and cases were written) must not leave
    half the data behind, which would make the database refuse the demo as non-empty."""

    from brigade_desk.app.cli import main

    dbp = tmp_path / "演示 #1 %41.sqlite"
    new_target(dbp)  # (a server database in the PostgreSQL run)
    assert (
        main(["--db", target(dbp), "check", "--json"]) == 0
    )  # creates and migrates the empty database
    before = _snapshot(dbp)
    assert before and any(k.startswith("staff") for k in before)
    capsys.readouterr()

    from brigade_desk.ledgers.av import demo as av_demo
    from brigade_desk.ledgers.cases import demo as cases_demo
    from brigade_desk.ledgers.roster import demo as roster_demo
    from brigade_desk.ledgers.training import demo as training_demo
    from brigade_desk.reports import demo as reports_demo

    modules = {
        "roster": roster_demo,
        "training": training_demo,
        "cases": cases_demo,
        "av": av_demo,
        "reports": reports_demo,
    }
    names = [p.name for p in REGISTRY.demo_parts()]
    assert names == list(modules)  # the order the parts run in
    reached: list[str] = []
    for name, mod in modules.items():
        real = mod.fill

        def spy(s, ctx, _real=real, _name=name):  # noqa: ANN001
            reached.append(_name)
            return _real(s, ctx)

        monkeypatch.setattr(mod, "fill", spy)

    def boom(s, ctx):  # noqa: ANN001  (what a wheel without its checklists used to do, one step later)
        reached.append("boom")
        raise UserError("演示：最后一步失败")

    monkeypatch.setattr(modules[names[-1]], "fill", boom)
    assert main(["--db", target(dbp), "demo"]) == 1
    assert "最后一步失败" in capsys.readouterr().err
    assert reached == [*names[:-1], "boom"]  # the earlier fillers did write, then rolled back
    assert _snapshot(dbp) == before
    assert not (
        ledger_dir(dbp) / "demo_av"
    ).exists()  # the demo footage folder it made is gone again

    monkeypatch.undo()
    assert main(["--db", target(dbp), "demo"]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "已生成演示数据" in out
    after = _snapshot(dbp)
    assert len(after["staff"]) > 50 and (ledger_dir(dbp) / "demo_av").is_dir()
