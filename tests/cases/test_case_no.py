"""Case numbers typed with (), （）, [] or 【】 around the year are the same case as 〔〕."""

from __future__ import annotations

import pytest
from cases_support import D, add_staff

from brigade_desk.core.errors import ValidationError
from brigade_desk.ledgers.cases.case_no import normalize
from brigade_desk.ledgers.cases.service import CaseFilter, CaseInput, CaseService


@pytest.mark.parametrize(
    "typed",
    [
        "乐交执罚(2026)93号",
        "乐交执罚（2026）93号",
        "乐交执罚[2026]93号",
        " 乐交执罚【２０２６】93号 ",
        "乐交执罚〔2026〕93号",
        "乐交执罚 ( 2026 ) 93号",
    ],
)
def test_every_spelling_is_the_official_one(typed):
    assert normalize(typed) == "乐交执罚〔2026〕93号"


def test_part_of_a_number_and_other_brackets():
    assert normalize("执罚(2026") == "执罚〔2026"
    assert normalize("(12)号") == "(12)号"  # not a year: left alone
    assert normalize("王(2026年)") == "王(2026年)"


def test_saved_searched_found_and_refused_as_duplicate(db):
    with db.begin() as s:
        a, b = add_staff(s, "张三").id, add_staff(s, "李四").id
    svc = CaseService(db)
    data = CaseInput(
        case_no="乐交执罚(2026)93号",
        cause="超限运输",
        party="王五",
        filed_on=D(2026, 3, 1),
        officer_ids=[a, b],
    )
    cid = svc.save(data, today=D(2026, 11, 23))
    assert svc.get(cid).case_no == "乐交执罚〔2026〕93号"
    assert svc.find("乐交执罚[2026]93号").id == cid
    assert svc.ids(CaseFilter(text="执罚（2026）93")) == [cid]
    with pytest.raises(ValidationError) as e:
        svc.save(
            CaseInput(
                case_no="乐交执罚【2026】93号",
                cause="超限运输",
                party="王五",
                filed_on=D(2026, 3, 1),
                officer_ids=[a, b],
            ),
            today=D(2026, 11, 23),
        )
    assert "已存在" in e.value.fields["case_no"]
