"""The demo ledger made on a server database (issue 18): no SQLite-only step after the commit,
the output names the server database, and the trail verifies."""

from __future__ import annotations

import pytest

from brigade_desk.app.cli import main
from brigade_desk.core import audit
from brigade_desk.core.db import open_database


def test_demo_on_a_server(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--db", pg_url, "demo"]) == 0
    out = capsys.readouterr().out
    assert "已生成演示数据" in out and "PostgreSQL 数据库" in out and "Traceback" not in out
    db = open_database(pg_url)
    try:
        res = audit.verify_database(db)
        assert res.ok, res.problem
    finally:
        db.close()
