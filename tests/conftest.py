"""Shared fixtures: a fresh database per test, Qt offscreen, background work run synchronously."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# the audit trail's signing key: one for the test run (and its subprocesses), not the user's profile
os.environ.setdefault(
    "BRIGADE_DESK_AUDIT_KEY", os.path.join(tempfile.mkdtemp(prefix="brigade-key-"), "audit.key")
)

from dbtemplate import (  # noqa: E402  (re-exported)
    DIALECT,
    PG,
    copy_target,
    drop_made_since,
    fresh_db,
    made_count,
    new_target,
    query,
    target,
    template_path,
)
from pg_support import pg_admin, pg_template, pg_url  # noqa: E402, F401  (fixtures)

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core.db import (
    Database,  # noqa: E402
)
from brigade_desk.ledgers.roster.service import (
    CertInput,  # noqa: E402
    RosterService,
    StaffInput,
)

if PG:
    # a server ledger keeps its audit anchors in this PC's data folder (core.server.home_dir):
    # the test run's own, not the user's
    os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="brigade-data-")
    os.environ["LOCALAPPDATA"] = os.environ["XDG_DATA_HOME"]

__all__ = [
    "DIALECT",
    "IDS",
    "PG",
    "add_officer",
    "copy_target",
    "fresh_db",
    "new_target",
    "query",
    "target",
    "template_path",
]

# the fixtures of the tests that are about PostgreSQL themselves (pg_support): in the PostgreSQL
# run they are skipped, having run against the server in the SQLite run already
_PG_FIXTURES = {"pg_url", "pg_admin", "pg_template"}


def pytest_report_header(config: pytest.Config) -> str:
    return f"brigade-desk test database: {DIALECT} (BRIGADE_DESK_TEST_DB)"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not PG:
        return
    ran_already = pytest.mark.skip(
        reason="runs against its own PostgreSQL database in the SQLite run already"
    )
    for item in items:
        only = item.get_closest_marker("sqlite_only")
        if only:
            why = only.kwargs.get("reason", "about the SQLite file itself")
            item.add_marker(pytest.mark.skip(reason=f"sqlite_only: {why}"))
        elif _PG_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(ran_already)


@pytest.fixture(autouse=True)
def _drop_server_databases() -> Iterator[None]:
    """PostgreSQL mode: the databases a test made (fresh_db) are dropped after it."""
    mark = made_count()
    yield
    drop_made_since(mark)


# checksum-valid ID numbers for tests
IDS = [
    "63010219850315002X",
    "632123199001010017",
    "630104197712310032",
    "632126198808080045",
    "630103199512120050",
]


@pytest.fixture(scope="session")
def template_db() -> Path:
    return template_path()


@pytest.fixture
def db(tmp_path: Path, template_db: Path) -> Iterator[Database]:
    d = fresh_db(tmp_path / "数据 库" / "brigade.sqlite")
    yield d
    d.close()


@pytest.fixture
def roster(db: Database) -> RosterService:
    return RosterService(db)


def add_officer(
    roster: RosterService,
    id_number: str,
    name: str = "测试员",
    *,
    valid_to: dt.date | None = dt.date(2030, 1, 1),
    cert_no: str | None = None,
    **kw: object,
) -> int:
    data = StaffInput(name=name, id_number=id_number, squad=str(kw.pop("squad", "一中队")))
    for k, v in kw.items():
        setattr(data, k, v)
    sid = roster.save_staff(data).staff_id
    if valid_to is not None and data.category == "执法人员":
        roster.add_certificate(
            sid,
            CertInput(
                cert_no=cert_no or f"C{id_number[-8:]}",
                issuer="青海省人民政府",
                issue_date=valid_to.replace(year=valid_to.year - 5),
                valid_to=valid_to,
            ),
        )
    return sid


@pytest.fixture
def gui_ctx(db: Database, tmp_path: Path, qapp: object) -> Iterator[object]:
    from PySide6.QtCore import QSettings

    from brigade_desk.ui.context import AppContext
    from brigade_desk.ui.tasks import TaskRunner

    TaskRunner.synchronous = True
    ctx = AppContext(
        db=db,
        tasks=TaskRunner(),
        qsettings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat),
        ledgers=REGISTRY,
    )
    yield ctx
    TaskRunner.synchronous = False


@pytest.fixture(autouse=True)
def _no_popup_left_open() -> Iterator[None]:
    """A popup (a combo box's list, a calendar menu) a test left open takes every later key and wheel
    event of the application: close them after each test, so tests do not depend on their order."""
    yield
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    for _ in range(10):
        popup = app.activePopupWidget()
        if popup is None:
            break
        popup.close()
