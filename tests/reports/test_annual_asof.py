"""One as-of day for every figure of a period.

The annual report's sections are built for every year present in the small demo database and each
statement is checked against ``check`` (the findings on the report's day) and against counts taken
straight from the tables with SQL; the figures of section 一 (training) and 二 (certificates) must
agree. Then the roster's history is checked on a hand-made case: a leaver is in post before leaving,
a certificate cancelled later was valid before, a squad changed later was the old one before.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbtemplate import fresh_db
from sqlalchemy import Date, TextClause, bindparam, text
from sqlalchemy.orm import Session

from brigade_desk.app.ledgers import REGISTRY
from brigade_desk.core import settings
from brigade_desk.core.db import Database
from brigade_desk.core.ledger import Section
from brigade_desk.core.rules import Finding
from brigade_desk.ledgers.cases.stats import zh_date
from brigade_desk.ledgers.roster.asof import roster_on
from brigade_desk.ledgers.roster.models import CertAction
from brigade_desk.ledgers.roster.report_parts import certificates_section
from brigade_desk.ledgers.roster.service import RosterService
from brigade_desk.ledgers.training import settings as training_settings
from brigade_desk.reports import annual
from tests.conftest import IDS, add_officer

D = dt.date
TODAY = D(2026, 12, 4)  # a running year: the 2026 report is "截至2026年12月4日"


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    from brigade_desk.app import demo

    d = fresh_db(tmp_path_factory.mktemp("asof") / "demo.sqlite")
    demo.fill(d, size="small", seed=1, today=TODAY)
    yield d
    d.close()


def _sql(s: Session, q: str) -> TextClause:
    """The statement for the session's database: written in SQLite's words, PostgreSQL's spelled
    out; the day parameters typed as dates (text on SQLite, dates on PostgreSQL)."""
    if s.get_bind().dialect.name != "sqlite":
        q = re.sub(r"strftime\('%Y', (\w+)\)", r"EXTRACT(YEAR FROM \1)", q)
        q = q.replace("instr(", "strpos(").replace(
            "date(p.created_at, '-1 day')", "(CAST(p.created_at AS DATE) - 1)"
        )
        q = q.replace("date(created_at)", "CAST(created_at AS DATE)")
    t = text(q)
    dates = [bindparam(n, type_=Date()) for n in ("d", "start") if f":{n}" in q]
    return t.bindparams(*dates) if dates else t


def _years(s: Session) -> list[int]:
    q = """
        SELECT CAST(strftime('%Y', end_date) AS INT) FROM training_session
        UNION SELECT CAST(strftime('%Y', filed_on) AS INT) FROM case_record WHERE filed_on IS NOT NULL
        UNION SELECT CAST(strftime('%Y', decided_on) AS INT) FROM case_record WHERE decided_on IS NOT NULL
        UNION SELECT CAST(strftime('%Y', media_start) AS INT) FROM av_record
    """
    return sorted(y for (y,) in s.execute(_sql(s, q)) if y)


# officers in post on :d, straight from the tables: the status from the dated status changes (the
# last one on or before the day, else the old status of the first later one, else today's status —
# a leaver with a later status date was still in post); left out: people whose 登记入册 (back-dated
# in the demo, a real joining date) is after the day, with no roster event, status date or training
# record on or before it
IN_POST_SQL = """
WITH st AS (
  SELECT s.id, s.category,
    COALESCE(
      (SELECT substr(e.what, instr(e.what, '→') + 2, 2) FROM staff_event e
        WHERE e.staff_id = s.id AND e.what LIKE '在岗状态：%' AND e.date <= :d
        ORDER BY e.date DESC, e.id DESC LIMIT 1),
      (SELECT substr(e.what, 6, 2) FROM staff_event e
        WHERE e.staff_id = s.id AND e.what LIKE '在岗状态：%' AND e.date > :d
        ORDER BY e.date, e.id LIMIT 1),
      CASE WHEN s.status != '在岗' AND s.status_date > :d THEN '在岗' ELSE s.status END
    ) AS status_on,
    (SELECT min(e.date) FROM staff_event e
      WHERE e.staff_id = s.id AND e.what LIKE '登记入册%') AS joined,
    EXISTS (SELECT 1 FROM staff_event e WHERE e.staff_id = s.id
      AND e.what NOT LIKE '登记入册%' AND e.date <= :d) AS other_event,
    (s.status_date IS NOT NULL AND s.status_date <= :d) AS by_status,
    EXISTS (SELECT 1 FROM training_attendance a JOIN training_session t ON t.id = a.session_id
      WHERE a.staff_id = s.id AND t.start_date <= :d) AS trained
  FROM staff s
)
SELECT id FROM st
WHERE category = '执法人员' AND status_on = '在岗'
  AND NOT (joined IS NOT NULL AND joined > :d AND NOT other_event AND NOT by_status AND NOT trained)
"""

HOURS_SQL = """
SELECT a.staff_id, SUM(CASE WHEN a.attended THEN COALESCE(a.hours, t.hours) ELSE 0 END)
FROM training_attendance a JOIN training_session t ON t.id = a.session_id
WHERE t.end_date BETWEEN :start AND :d AND t.category IN ('公共法律知识', '业务知识', '执法技能')
GROUP BY a.staff_id
"""

LEAVERS_SQL = """
SELECT DISTINCT e.staff_id FROM staff_event e
WHERE e.what LIKE '在岗状态：在岗 →%' AND e.date BETWEEN :start AND :d
"""


# people holding a certificate issued on or before :d (its first 发证/换发) that is not cancelled today
HELD_OPEN_SQL = """
SELECT DISTINCT c.staff_id FROM certificate c
WHERE c.status != '注销' AND COALESCE(
  (SELECT min(e.date) FROM certificate_event e
    WHERE e.certificate_id = c.id AND e.action IN ('发证', '换发')), c.issue_date) <= :d
"""


def _one(pattern: str, textual: str) -> re.Match[str]:
    m = re.search(pattern, textual)
    assert m, f"{pattern!r} not in {textual!r}"
    return m


def _rows(sec: Section) -> dict[str, object]:
    return {str(r[0]).strip(): r[1] for r in sec.rows}


def _all_text(sections: list[Section]) -> str:
    return "\n".join(
        [*(p for sec in sections for p in sec.paragraphs)]
        + [str(c) for sec in sections for r in sec.rows for c in r if isinstance(c, str)]
    )


def _staff_ids(findings: list[Finding], rule: str) -> set[int]:
    return {f.entity_id for f in findings if f.rule == rule and f.entity_id is not None}


def test_annual_statements_agree_with_check_and_sql_for_every_year(demo_db: Database) -> None:
    from brigade_desk.app.ledgers import _annual_content

    content = _annual_content()
    with demo_db.session() as s:
        years = _years(s)
        assert len(years) >= 3, years  # the demo holds more than one year
        # the demo's 登记入册 events are real joining dates (dated before the rows were written)
        assert (
            s.scalar(
                _sql(
                    s,
                    "SELECT count(*) FROM staff_event e JOIN staff p ON p.id = e.staff_id "
                    "WHERE e.what LIKE '登记入册%' AND e.date >= date(p.created_at, '-1 day')",
                )
            )
            == 0
        )
        required = float(settings.get(s, training_settings.REQUIRED_HOURS))
        today_findings = REGISTRY.run_rules(s, TODAY)  # the 问题清单 on the report's day
        for year in years:
            day = min(D(year, 12, 31), TODAY)
            running = day < D(year, 12, 31)
            sections = annual.annual_sections(s, year, TODAY, content)
            by_title = {sec.title: sec for sec in sections}
            training = by_title["执法人员培训情况"]
            certs = by_title["执法人员和执法证件管理情况"]
            t_text, c_text = "".join(training.paragraphs), "".join(certs.paragraphs)
            where = f"{year}年"

            # --- SQL on the tables ---
            params = {"d": day, "start": D(year, 1, 1)}
            in_post = {i for (i,) in s.execute(_sql(s, IN_POST_SQL), params)}
            hours = {i: float(h or 0) for i, h in s.execute(_sql(s, HOURS_SQL), params)}
            per_person = [round(hours.get(i, 0.0), 2) for i in in_post]
            under = sum(1 for h in per_person if h < required - 1e-9)
            avg = sum(per_person) / len(per_person) if per_person else 0.0
            sessions = s.scalar(
                _sql(
                    s, "SELECT count(*) FROM training_session WHERE end_date BETWEEN :start AND :d"
                ),
                params,
            )

            # --- section 一 (training) ---
            m = _one(r"在岗执法人员(\d+)人，人均业务培训([\d.]+)学时", t_text)
            n_training, avg_text = int(m.group(1)), m.group(2)
            assert n_training == len(in_post), where
            assert avg_text == f"{avg:.1f}", where
            if under:
                assert int(_one(r"未达到的(\d+)人", t_text).group(1)) == under, where
            else:
                assert "全部达标" in t_text, where
            assert int(_one(r"组织培训(\d+)次", t_text).group(1)) == sessions, where
            assert _rows(training)["在岗执法人员（人）"] == len(in_post)
            assert _rows(training)["未达标人数（人）"] == under

            # --- section 二 (certificates): the same people on the same day ---
            n_certs = int(_one(r"本单位在岗执法人员(\d+)人", c_text).group(1))
            assert n_certs == n_training == _rows(certs)["在岗执法人员（人）"], where
            assert f"截至{zh_date(day)}" in c_text and f"截至{zh_date(day)}" in t_text

            # --- against check: training hours short on the day (check --as-of <day>) ---
            found = REGISTRY.run_rules(s, day)
            assert len(_staff_ids(found, "training_hours_short")) == under, where

            # --- leavers of the year and their certificates ---
            leavers = {i for (i,) in s.execute(_sql(s, LEAVERS_SQL), params)}
            left_rows = _rows(certs)
            assert left_rows["本年离岗、调离、退休（人）"] == len(leavers), where
            # a certificate issued by the day and still not cancelled today was not cancelled on
            # the day either
            held = {i for (i,) in s.execute(_sql(s, HELD_OPEN_SQL), params)}
            open_now = _staff_ids(today_findings, "left_not_cancelled") & held
            open_this_year = open_now & leavers
            assert int(str(left_rows["其中执法证件尚未注销（人）"])) >= len(open_this_year)
            if open_this_year:
                assert "均已注销" not in c_text, where
            left_before = {
                i
                for (i,) in s.execute(
                    _sql(
                        s,
                        "SELECT DISTINCT staff_id FROM staff_event WHERE what LIKE '在岗状态：在岗 →%' "
                        "AND date < :start",
                    ),
                    params,
                )
            }
            assert int(str(left_rows["往年离岗人员证件未注销（人）"])) >= len(
                open_now & left_before
            )
            if "均已注销" in c_text:
                assert not open_this_year
            # check --as-of <day> takes the roster as it stood that day: every roster statement is
            # exactly what it finds
            open_on_day = _staff_ids(found, "left_not_cancelled")
            assert left_rows["其中执法证件尚未注销（人）"] + left_rows[
                "往年离岗人员证件未注销（人）"
            ] == len(open_on_day), where
            assert open_now & (leavers | left_before) <= open_on_day, where
            assert left_rows["未持有效证件的在岗执法人员（人）"] == len(
                _staff_ids(found, "no_valid_cert")
            ), where
            assert ("未达到" in c_text) == any(f.rule == "legal_reviewer_ratio" for f in found)
            assert left_rows["证件将在提醒期内到期（人）"] == len(
                _staff_ids(found, "cert_expiring")
            )

            # --- the review reported was under way by the day (none is told twice) ---
            r_text = "".join(by_title["案卷评查和整改情况"].paragraphs)
            if m := re.search(r"对(\d{4})年度办结的案卷开展评查", r_text):
                first = s.scalar(
                    _sql(
                        s,
                        "SELECT min(coalesce(reviewed_on, date(created_at))) FROM case_review "
                        "WHERE year = :y",
                    ),
                    {"y": int(m.group(1))},
                )
                assert first is not None and str(first) <= day.isoformat(), where
            else:
                assert f"截至{zh_date(day)}，尚未开展案卷评查" in r_text, where
                assert not s.scalar(
                    _sql(
                        s,
                        "SELECT count(*) FROM case_review WHERE year IN (:y, :y - 1) "
                        "AND coalesce(reviewed_on, date(created_at)) <= :d",
                    ),
                    {"y": year, "d": day},
                )

            # --- a running year is "截至…本年", never the whole year ---
            everything = _all_text(sections)
            if running:
                assert "全年" not in everything, where
                assert f"截至{zh_date(day)}，本年组织培训" in t_text
            else:
                assert "全年组织培训" in t_text
            # words fit for a superior: Chinese dates, no setting notes, no Western spacing
            assert not re.search(r"\d{4}-\d{2}-\d{2}", everything), where
            assert "按设置" not in everything and "Brigade Desk" not in everything
            assert not re.search(r"[\u4e00-\u9fff] \d|\d [\u4e00-\u9fff]", everything), where


def test_history_status_certificate_and_squad_as_of(db: Database, roster: RosterService) -> None:
    """A transfer in 2026 and a certificate cancelled then: in post with a valid certificate on
    31 December 2025, a leaver with the certificate cancelled by the end of 2026; the squad changed
    today (recorded in the audit trail) is the old one on any earlier day."""
    from brigade_desk.ledgers.roster.service import StaffInput

    today = dt.date.today()
    leaver = add_officer(roster, IDS[0], "甲", valid_to=D(2029, 6, 30))
    stay = add_officer(roster, IDS[1], "乙", valid_to=D(2030, 6, 30))
    old_leaver = add_officer(roster, IDS[2], "丙", valid_to=D(2030, 1, 1))
    data = roster.get(leaver)
    edit = StaffInput(**{k: getattr(data, k) for k in StaffInput.__dataclass_fields__})
    edit.status, edit.status_date = "调离", D(2026, 3, 1)
    roster.save_staff(edit, leaver)
    roster.cert_action(
        roster.get(leaver).certificates[0].id, CertAction.CANCEL, date=D(2026, 3, 5), reason="调离"
    )
    old = roster.get(old_leaver)  # left in 2024, certificate never cancelled
    edit = StaffInput(**{k: getattr(old, k) for k in StaffInput.__dataclass_fields__})
    edit.status, edit.status_date = "退休", D(2024, 5, 1)
    roster.save_staff(edit, old_leaver)
    moved = roster.get(stay)
    edit = StaffInput(**{k: getattr(moved, k) for k in StaffInput.__dataclass_fields__})
    edit.squad = "路政中队"
    roster.save_staff(edit, stay)

    with db.session() as s:
        end_2025 = {p.id: p for p in roster_on(s, D(2025, 12, 31))}
        assert end_2025[leaver].in_post and end_2025[leaver].has_valid_cert
        assert end_2025[old_leaver].has_left and end_2025[old_leaver].status == "退休"
        assert end_2025[stay].squad == "一中队"  # changed today, recorded in the audit trail
        later = {p.id: p for p in roster_on(s, D(2026, 6, 30))}
        assert later[leaver].status == "调离" and later[leaver].status_date == D(2026, 3, 1)
        assert later[leaver].certificates[0].cancelled and not later[leaver].open_certificates
        assert {p.id: p for p in roster_on(s, today)}[stay].squad == "路政中队"

        sec_2025 = certificates_section(s, 2025, D(2026, 6, 30))
        rows = _rows(sec_2025)
        assert rows["在岗执法人员（人）"] == 2  # 甲 was still in post on 31 December
        assert rows["持有效执法证件的执法人员（人）"] == 2
        assert rows["往年离岗人员证件未注销（人）"] == 1  # 丙, left in 2024
        text_2025 = "".join(sec_2025.paragraphs)
        assert "往年离岗的1人执法证件尚未注销" in text_2025 and "均已注销" not in text_2025

        sec_2026 = certificates_section(s, 2026, D(2026, 6, 30))
        text_2026 = "".join(sec_2026.paragraphs)
        assert "截至2026年6月30日，本单位在岗执法人员1人" in text_2026
        assert "本年度离岗、调离、退休1人，执法证件均已注销" in text_2026
        assert "往年离岗的1人执法证件尚未注销" in text_2026  # 丙 is never said to be cancelled


def test_quarterly_certificate_rows_take_the_quarter_end(
    db: Database, roster: RosterService, tmp_path: Path
) -> None:
    """The 执法证件 source of a past quarter: a person who left after it is listed as 在岗 with the
    certificate that was valid then."""
    from brigade_desk.core.period import Period
    from brigade_desk.ledgers.roster.report_parts import certificate_rows
    from brigade_desk.ledgers.roster.service import StaffInput

    sid = add_officer(roster, IDS[3], "丁", valid_to=D(2029, 1, 1))
    data = roster.get(sid)
    edit = StaffInput(**{k: getattr(data, k) for k in StaffInput.__dataclass_fields__})
    edit.status, edit.status_date = "离岗", D(2025, 11, 20)
    roster.save_staff(edit, sid)
    roster.cert_action(
        roster.get(sid).certificates[0].id, CertAction.CANCEL, date=D(2025, 11, 25), reason="离岗"
    )
    with db.session() as s:
        q3 = certificate_rows(s, Period(2025, 3))
        q4 = certificate_rows(s, Period(2025, 4))
    assert [(r["姓名"], r["在岗状态"], r["证件状态"]) for r in q3] == [("丁", "在岗", "有效")]
    assert [(r["姓名"], r["在岗状态"], r["证件状态"], r["状态变更日期"]) for r in q4] == [
        ("丁", "离岗", "注销", D(2025, 11, 20))
    ]
