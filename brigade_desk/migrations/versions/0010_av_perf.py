"""av: full-text search index over the AV record index, and indexes for every sortable column

Revision ID: 0010_av_perf
Revises: 0009_training_perf
Create Date: 2026-11-23 14:40:00

Searching 200,000 records with ``LIKE '%x%'`` over five columns scanned the whole table on every
keystroke (≈ 0.25 s per query, and again for each page of the sorted result). Two contentless FTS5
tables make it an index look-up:

- ``fts_av_tri`` (trigram tokenizer): substring search for queries of three or more characters
  (a phrase of trigrams is exactly a substring match, ASCII case-insensitive like LIKE).
- ``fts_av_uni``: queries of one or two characters (a Chinese surname, 收费, 青A), which the trigram
  tokenizer cannot answer. Every character of the ASCII-lowercased text is indexed as one token
  (the hex of its UTF-8 bytes, so punctuation and CJK are tokens too); a two-character query is a
  two-token phrase. Text past ``POS_MAX`` characters (only a huge 备注 could be that long) is not
  indexed here.

Triggers keep both tables in step with ``av_record`` on insert, update of the searched columns and
delete. ``fts_av_pos`` holds the numbers 1..POS_MAX the unigram trigger splits text with (common
table expressions are not allowed inside SQLite triggers). Every object is named ``fts_*`` so Alembic
autogenerate leaves it alone (``env.py``).

NOTE for later migrations: re-creating ``av_record`` (batch mode) drops these triggers with the old
table; re-create them afterwards (``tests/av/test_av_search.py`` checks they exist at the head).

If this SQLite has no FTS5 or no trigram tokenizer (older than 3.34) the index is not created and the
program falls back to LIKE (slower, same results).
"""

from __future__ import annotations

import logging
from typing import Any

from alembic import op

revision = "0010_av_perf"
down_revision = "0009_training_perf"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)

COLS = ("file_name", "case_no", "target", "place", "notes", "device_no")
POS_MAX = 10_000
SORT_INDEXES = {  # the AV index sorts by every column; these were not indexed yet
    "ix_av_record_file_name": "file_name",
    "ix_av_record_place": "place",
    "ix_av_record_size": "size",
    "ix_av_record_duration_s": "duration_s",
    "ix_av_record_important": "important",
}

_ASCII_LOWER = {c: c + 32 for c in range(65, 91)}


def _uni(v: str | None) -> str | None:
    """What the trigger's SQL computes (SQLite's lower() folds ASCII only; hex case is folded by the
    tokenizer). Kept identical to ``brigade_desk.ledgers.av.search.unigrams``."""
    if not v:
        return None
    return " ".join(ch.encode("utf-8").hex() for ch in v[:POS_MAX].translate(_ASCII_LOWER))


def _uni_sql(ref: str) -> str:
    return (
        f"(SELECT group_concat(hex(substr(v, n, 1)), ' ') FROM (SELECT lower({ref}) AS v) "
        f"JOIN fts_av_pos ON n <= length(v))"
    )


def _values(prefix: str, uni: bool) -> str:
    return ", ".join(_uni_sql(f"{prefix}.{c}") if uni else f"{prefix}.{c}" for c in COLS)


def _insert(prefix: str) -> str:
    return (
        f"INSERT INTO fts_av_tri(rowid, {', '.join(COLS)}) VALUES ({prefix}.id, {_values(prefix, False)});\n"
        f"INSERT INTO fts_av_uni(rowid, {', '.join(COLS)}) VALUES ({prefix}.id, {_values(prefix, True)});\n"
    )


def _delete(prefix: str) -> str:
    return (
        f"INSERT INTO fts_av_tri(fts_av_tri, rowid, {', '.join(COLS)}) "
        f"VALUES ('delete', {prefix}.id, {_values(prefix, False)});\n"
        f"INSERT INTO fts_av_uni(fts_av_uni, rowid, {', '.join(COLS)}) "
        f"VALUES ('delete', {prefix}.id, {_values(prefix, True)});\n"
    )


TRIGGERS = {
    "fts_av_record_ai": f"CREATE TRIGGER fts_av_record_ai AFTER INSERT ON av_record BEGIN\n{_insert('NEW')}END",
    "fts_av_record_ad": f"CREATE TRIGGER fts_av_record_ad AFTER DELETE ON av_record BEGIN\n{_delete('OLD')}END",
    "fts_av_record_au": (
        f"CREATE TRIGGER fts_av_record_au AFTER UPDATE OF id, {', '.join(COLS)} ON av_record BEGIN\n"
        f"{_delete('OLD')}{_insert('NEW')}END"
    ),
}


def _fts_supported(raw: object) -> bool:
    try:
        raw.execute("CREATE VIRTUAL TABLE temp.fts_av_probe USING fts5(x, tokenize='trigram')")  # type: ignore[attr-defined]
        raw.execute("DROP TABLE temp.fts_av_probe")  # type: ignore[attr-defined]
        return True
    except Exception as exc:  # sqlite3.OperationalError: no such module / tokenizer
        log.warning("SQLite without FTS5 trigram support (%s): AV search stays on LIKE", exc)
        return False


def upgrade() -> None:
    for name, col in SORT_INDEXES.items():
        op.create_index(name, "av_record", [col], unique=False)

    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        _pg_trigram_indexes(bind)
        return
    raw: Any = bind.connection.driver_connection  # the sqlite3 connection
    if not _fts_supported(raw):
        return
    cols = ", ".join(COLS)
    op.execute("CREATE TABLE fts_av_pos (n INTEGER PRIMARY KEY)")
    bind.exec_driver_sql(
        f"WITH RECURSIVE p(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM p WHERE n < {POS_MAX}) "
        "INSERT INTO fts_av_pos(n) SELECT n FROM p"
    )
    op.execute(
        f"CREATE VIRTUAL TABLE fts_av_tri USING fts5({cols}, content='', tokenize='trigram')"
    )
    op.execute(
        f"CREATE VIRTUAL TABLE fts_av_uni USING fts5({cols}, content='', tokenize='unicode61')"
    )
    # existing rows: trigram in one statement, unigrams computed here (the SQL form is ~3x slower)
    op.execute(f"INSERT INTO fts_av_tri(rowid, {cols}) SELECT id, {cols} FROM av_record")
    cur = raw.execute(f"SELECT id, {cols} FROM av_record")
    sql = f"INSERT INTO fts_av_uni(rowid, {cols}) VALUES (?, {', '.join('?' * len(COLS))})"
    while True:
        chunk = cur.fetchmany(20_000)
        if not chunk:
            break
        raw.executemany(sql, [(r[0], *(_uni(v) for v in r[1:])) for r in chunk])
    for ddl in TRIGGERS.values():
        op.execute(ddl)


PG_TRGM = {f"fts_av_trgm_{c}": c for c in COLS}


def _pg_trigram_indexes(bind: Any) -> None:
    """PostgreSQL: the same substring search through pg_trgm's GIN indexes (``ILIKE '%x%'`` over
    each column uses them from three characters on; shorter queries scan, as LIKE does on a SQLite
    without FTS5). Without the extension (a server that does not ship contrib) the search works
    unindexed, as the module docstring says for SQLite."""
    try:
        with bind.begin_nested():
            bind.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception as exc:  # noqa: BLE001 - no contrib, no right to create it
        log.warning("PostgreSQL without pg_trgm (%s): AV search stays unindexed", exc)
        return
    for name, col in PG_TRGM.items():
        op.execute(f"CREATE INDEX {name} ON av_record USING gin ({col} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for name in PG_TRGM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        for name in SORT_INDEXES:
            op.drop_index(name, table_name="av_record")
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for t in ("fts_av_tri", "fts_av_uni", "fts_av_pos"):
        op.execute(f"DROP TABLE IF EXISTS {t}")
    for name in SORT_INDEXES:
        op.drop_index(name, table_name="av_record")
