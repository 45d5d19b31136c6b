"""The hostile-input tally (issue 17): the ``--quick`` subset of ``benchmarks.hostile_tally``.

Two or three attacks per category, each through the real command line in a subprocess: hostile
workbooks and poisoned names, damaged databases, tampering with a sqlite3 shell, AV ingest of odd
files, restore from folders named like URI syntax. None may give a traceback, lose data silently
or be accepted where it must be refused or detected.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks import hostile_tally


def test_quick_tally_has_no_traceback_no_silent_loss_nothing_wrongly_accepted(
    tmp_path: Path,
) -> None:
    result, outcomes = hostile_tally.tally(quick=True, work=tmp_path)
    failed = [
        f"{o.category} / {o.name}: rc={o.rc} {o.note}"
        for o in outcomes
        if o.traceback or o.silent_loss or o.wrongly_accepted or o.false_refusal
    ]
    categories = result["categories"]
    assert len(categories) == 5
    assert all(row["tried"] >= 2 for row in categories.values()), categories
    assert result["tried"] == len(outcomes) >= 10
    assert result["tracebacks"] == 0, failed
    assert result["silent_losses"] == 0, failed
    assert result["wrongly_accepted"] == 0, failed
    assert result["false_refusals"] == 0, failed
