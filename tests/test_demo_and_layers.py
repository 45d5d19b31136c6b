"""Demo data is realistic; domain code imports no Qt."""

import re
from pathlib import Path

import pytest

from brigade_desk import demo, idcard
from brigade_desk.db import Database
from brigade_desk.errors import UserError
from brigade_desk.services.roster import RosterService

ROOT = Path(__file__).resolve().parent.parent


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
    from brigade_desk.db import open_database

    names = []
    for i in range(2):
        d = open_database(tmp_path / f"{i}.sqlite")
        demo.fill(d, size="small", seed=11)
        names.append([p.id_number for p in RosterService(d).list_staff()])
        d.close()
    assert names[0] == names[1]


def test_domain_imports_no_qt() -> None:
    offenders = []
    for p in (ROOT / "brigade_desk").rglob("*.py"):
        if "ui" in p.relative_to(ROOT / "brigade_desk").parts[:1]:
            continue
        if re.search(r"^\s*(from|import)\s+PySide6", p.read_text(encoding="utf-8"), re.M):
            offenders.append(str(p))
    assert offenders == []
