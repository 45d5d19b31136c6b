"""The migrations form one chain, and a database of every released schema reaches its head intact.

``tests/fixtures/schemas/`` holds one database per state a released program could have left (made by
``tests/fixtures/make_schema_fixtures.py`` while the migrations still branched): every down-closed
set of the branchy graph's revisions, named by its ``alembic_version`` rows joined with ``+``.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from brigade_desk.core import db as dbmod
from brigade_desk.core import paths

pytestmark = pytest.mark.sqlite_only(reason="migrates SQLite files of every released schema")

SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "schemas"
FIXTURES = sorted(SCHEMAS.glob("*.sqlite"))
CHAIN = [
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009_training_perf",
    "0010_av_perf",
    "0011",
    "0012_attendance_indexes",
    "0013_activity_windows",
    "0014_versions",
    "0015_av_name_patterns",
    "0016_av_devices",
]


# rows later data migrations add to a shipped table (by name): 0015 ships two file-name patterns
SEEDED_LATER = {"av_name_pattern": {"设备号_时间_序号", "日期_时间_后缀"}}


def test_one_head_and_one_chain_down_to_0001() -> None:
    script = ScriptDirectory.from_config(dbmod.alembic_config())
    heads = script.get_heads()
    assert len(heads) == 1
    seen = []
    rev = script.get_revision(heads[0])
    while rev is not None:
        assert isinstance(rev.down_revision, str | None), f"{rev.revision} merges"
        assert len(script.get_revision(rev.revision).nextrev) <= 1, f"{rev.revision} branches"
        seen.append(rev.revision)
        rev = script.get_revision(rev.down_revision) if rev.down_revision else None
    assert seen[-1] == "0001"
    assert sorted(seen) == sorted(r.revision for r in script.walk_revisions())
    assert seen[::-1] == dbmod.migration_chain()
    # every id a shipped database may carry is still there, in the order first written
    assert dbmod.migration_chain()[: len(CHAIN)] == CHAIN
    assert set(dbmod.BRANCHY_PARENTS) <= set(seen)


def test_chain_order_respects_the_branchy_history() -> None:
    """Each old revision comes after all it depended on: running a missing one later is legal."""
    pos = {r: i for i, r in enumerate(dbmod.migration_chain())}
    for rev, parents in dbmod.BRANCHY_PARENTS.items():
        assert all(pos[p] < pos[rev] for p in parents), rev


def _down_closed_states() -> set[str]:
    parents = dbmod.BRANCHY_PARENTS
    names = set()
    for n in range(1, len(parents) + 1):
        for combo in itertools.combinations(sorted(parents), n):
            s = set(combo)
            if all(set(parents[r]) <= s for r in s):
                heads = sorted(r for r in s if not any(r in parents[c] for c in s))
                names.add("+".join(heads))
    return names


def test_there_is_a_fixture_for_every_released_state() -> None:
    states = _down_closed_states()
    assert len(states) == 41
    assert {p.stem for p in FIXTURES} == states


def _schema(path: Path) -> list[tuple[str, str, str, str]]:
    with closing(sqlite3.connect(path)) as c:
        return sorted(
            (t, n, tbl, " ".join((sql or "").split()))
            for t, n, tbl, sql in c.execute("SELECT type, name, tbl_name, sql FROM sqlite_master")
        )


def _rows(path: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Every ordinary table's columns and rows (as sorted reprs)."""
    out = {}
    with closing(sqlite3.connect(path)) as c:
        tables = [
            r[0]
            for r in c.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                "AND name NOT LIKE 'fts_%' AND name != 'alembic_version'"
            )
        ]
        for t in tables:
            cols = [r[1] for r in c.execute(f'PRAGMA table_info("{t}")')]
            sel = ", ".join(f'"{col}"' for col in cols)
            out[t] = (cols, sorted(repr(r) for r in c.execute(f'SELECT {sel} FROM "{t}"')))
    return out


@pytest.mark.parametrize("fixture", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_released_schema_upgrades_to_the_head(
    fixture: Path, tmp_path: Path, template_db: Path
) -> None:
    p = tmp_path / "old.sqlite"
    shutil.copyfile(fixture, p)
    before = _rows(p)
    assert before and all(len(rows) >= 2 for _cols, rows in before.values())
    head = dbmod.migration_chain()[-1]

    d = dbmod.open_database(p)
    try:
        with d.engine.connect() as c:
            assert [r[0] for r in c.exec_driver_sql("SELECT version_num FROM alembic_version")] == [
                head
            ]
            assert c.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    finally:
        d.close()

    after = _rows(p)
    for table, (cols, rows) in before.items():
        sel = ", ".join(f'"{col}"' for col in cols)
        with closing(sqlite3.connect(p)) as c:
            kept = sorted(repr(r) for r in c.execute(f'SELECT {sel} FROM "{table}"'))
        seeded = SEEDED_LATER.get(table, set())
        added = sorted(set(kept) - set(rows))
        assert sorted(set(rows) & set(kept)) == sorted(set(rows)) and len(kept) == len(rows) + len(
            added
        ), table  # every old row kept as it was
        assert all(any(repr(name) in r for name in seeded) for r in added), (table, added)
        assert set(cols) <= set(after[table][0])
    assert _schema(p) == _schema(template_db)
    backups = list(paths.backup_dir_for(p).glob("*-pre-migration.sqlite"))
    assert len(backups) == (0 if fixture.stem == head else 1)


def test_map_onto_the_chain_runs_only_what_is_missing() -> None:
    chain = dbmod.migration_chain()
    assert dbmod.applied_revisions({"0003"}, chain) == {"0001", "0003"}
    assert dbmod.applied_revisions({"0002", "0007"}, chain) == {"0001", "0002", "0004", "0007"}
    assert dbmod.applied_revisions({"0010_av_perf"}, chain) == set(chain[:8]) | {"0010_av_perf"}
    assert dbmod.applied_revisions({"0011"}, chain) == set(chain[:11])


def test_failed_upgrade_leaves_the_old_version_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rewrite of alembic_version and the migrations run out of order share the upgrade's
    transaction: a failure later leaves the file as the old program wrote it."""
    p = tmp_path / "old.sqlite"
    shutil.copyfile(SCHEMAS / "0003+0006.sqlite", p)
    before = _schema(p)
    real = dbmod.command.upgrade

    def failing(cfg: Config, target: str) -> None:
        if target == "head":
            raise RuntimeError("disk pulled out")
        real(cfg, target)

    monkeypatch.setattr(dbmod.command, "upgrade", failing)
    with pytest.raises(RuntimeError, match="disk pulled out"):
        dbmod.open_database(p)
    with closing(sqlite3.connect(p)) as c:
        rows = sorted(r[0] for r in c.execute("SELECT version_num FROM alembic_version"))
    assert rows == ["0003", "0006"]
    assert _schema(p) == before  # 0002 and 0004 were run out of order, and rolled back


def test_a_second_head_is_refused_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two revisions written side by side must not be applied silently: the program stops."""
    heads = ", ".join(sorted([dbmod.migration_chain()[-1], "0099_side"]))
    migrations = tmp_path / "migrations"
    shutil.copytree(Path(dbmod.__file__).parents[1] / "migrations", migrations)
    (migrations / "versions" / "0099_side.py").write_text(
        'revision = "0099_side"\n'
        'down_revision = "0010_av_perf"\n'
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        "def upgrade() -> None:\n    pass\n\n\n"
        "def downgrade() -> None:\n    pass\n",
        encoding="utf-8",
    )

    def config() -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(migrations))
        return cfg

    monkeypatch.setattr(dbmod, "alembic_config", config)
    with pytest.raises(RuntimeError, match=f"2 heads: {heads}"):
        dbmod.open_database(tmp_path / "new.sqlite")
    assert not (tmp_path / "new.sqlite").exists()


def test_rows_a_data_migration_adds_are_in_the_audit_trail(tmp_path: Path) -> None:
    """A ledger whose file-name patterns the audit trail already follows, upgraded across a data
    migration that ships new patterns (0015): the new rows are recorded, audit verify passes."""
    from sqlalchemy.orm import Session

    from brigade_desk.core import audit

    p = tmp_path / "升级前.sqlite"
    eng = dbmod._make_engine(p, foreign_keys=False)
    cfg = dbmod.alembic_config()
    with eng.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0014_versions")
        with Session(bind=conn) as s:  # the trail follows the patterns (as after the demo)
            assert audit.record_unaudited(s, ["av_name_pattern"]) == 2
            s.flush()
        conn.commit()
    eng.dispose()
    db = dbmod.open_database(p)
    try:
        with db.engine.connect() as c:
            names = {r[0] for r in c.exec_driver_sql("SELECT name FROM av_name_pattern")}
        assert SEEDED_LATER["av_name_pattern"] <= names and len(names) == 4
        res = audit.verify_database(db)
        assert res.ok, res.problem
    finally:
        db.close()
