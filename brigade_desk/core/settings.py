"""Typed settings kept in the database, with defaults.

Every number a rule uses is a setting here so the clerk can change it without a new version.

A setting is one of a few kinds, each a subclass of :class:`SettingDef`: :class:`IntSetting`,
:class:`FloatSetting`, :class:`TextSetting`, :class:`ChoiceSetting`, :class:`TextListSetting`,
:class:`DateSetting`, :class:`BoolSetting`, :class:`YearsTableSetting` and :class:`JsonSetting`.
The kind says how the value is stored (JSON), how a stored value is read back (``get`` returns the
kind's Python type; a stored value of the wrong shape gives the default, never an error) and which
editor the settings dialog shows.

Here: the kinds, reading and writing, and the unit's own settings (name, preparer, privacy). Each
ledger keeps its settings in its own ``settings`` module, listed in ``SETTINGS`` and declared in its
``Ledger``; the registry (``brigade_desk/app/ledgers.py``) knows them all, whatever was imported.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import KW_ONLY, dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from brigade_desk.core.db import Database

log = logging.getLogger(__name__)

T = TypeVar("T")
# covariant, so that a setting of list[str] is read where an iterable of str is expected
# (``set(get(s, D))``); a definition is frozen, nothing is ever written into it
T_co = TypeVar("T_co", covariant=True)


@dataclass(frozen=True, eq=False)
class SettingDef(Generic[T_co]):
    """One setting: its key, Chinese label, default and help. Use a subclass (the kind)."""

    key: str
    label: str
    default: T_co
    help: str = ""
    # raises ValueError (a Chinese reason) for a value of the right kind but an unusable content
    validate: Callable[[T_co], None] | None = None

    kind = "abstract"  # the editor the settings dialog shows (not a dataclass field)

    def __post_init__(self) -> None:
        self.coerce(self.to_json(self.default))  # a wrong default is a programming error: fail now

    def parse(self, raw: object) -> T_co:
        """``raw`` (the stored JSON value, or the Python value) as this kind's type; ValueError with a
        Chinese reason when it has the wrong shape or lies outside the setting's range."""
        raise NotImplementedError

    def to_json(self, value: object) -> object:
        """What is stored (as JSON) for ``value``."""
        return value

    def coerce(self, raw: object) -> T_co:
        """``parse`` then ``validate``: the usable value, or ValueError with a Chinese reason."""
        value = self.parse(raw)
        if self.validate is not None:
            self.validate(value)
        return value

    def check(self, value: object) -> None:
        """ValueError with a Chinese reason when ``value`` cannot be used for this setting."""
        self.coerce(value)


def _number(raw: object) -> int | float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError("应为数字")
    return raw


@dataclass(frozen=True, eq=False)
class IntSetting(SettingDef[int]):
    """A whole number from ``min`` to ``max`` (a stored 5.0 reads as 5)."""

    _: KW_ONLY
    min: int = 0
    max: int = 1_000_000
    kind = "int"

    def parse(self, raw: object) -> int:
        x = _number(raw)
        if isinstance(x, float) and not x.is_integer():
            raise ValueError("应为整数")
        v = int(x)
        if not self.min <= v <= self.max:
            raise ValueError(f"应为 {self.min}–{self.max} 的整数")
        return v


@dataclass(frozen=True, eq=False)
class FloatSetting(SettingDef[float]):
    """A number from ``min`` to ``max``, edited with ``decimals`` decimals."""

    _: KW_ONLY
    min: float = 0.0
    max: float = 1_000_000.0
    decimals: int = 2
    kind = "float"

    def parse(self, raw: object) -> float:
        v = float(_number(raw))
        if not self.min <= v <= self.max:
            raise ValueError(f"应为 {self.min:g}–{self.max:g} 的数")
        return v


@dataclass(frozen=True, eq=False)
class TextSetting(SettingDef[str]):
    """Free text (``placeholder`` is the hint shown in the empty field)."""

    _: KW_ONLY
    placeholder: str = ""
    kind = "text"

    def parse(self, raw: object) -> str:
        if not isinstance(raw, str):
            raise ValueError("应为文字")
        return raw


@dataclass(frozen=True, eq=False)
class BoolSetting(SettingDef[bool]):
    kind = "bool"

    def parse(self, raw: object) -> bool:
        if not isinstance(raw, bool):
            raise ValueError("应为是或否")
        return raw


@dataclass(frozen=True, eq=False)
class ChoiceSetting(SettingDef[str]):
    """One of ``options`` (code, Chinese label); the code is stored. A stored label or one of
    ``aliases`` (word, code) reads as its code, so a value typed by hand still counts."""

    _: KW_ONLY
    options: tuple[tuple[str, str], ...] = ()
    aliases: tuple[tuple[str, str], ...] = ()
    kind = "choice"

    def parse(self, raw: object) -> str:
        if isinstance(raw, str):
            word = raw.strip().lower()
            for code, label in self.options:
                if word in (code.lower(), label):
                    return code
            for alias, code in self.aliases:
                if word == alias.lower():
                    return code
        raise ValueError("应为" + "或".join(label for _c, label in self.options))

    def label_of(self, code: str) -> str:
        return dict(self.options).get(code, code)


_SPLIT = re.compile(r"[、,，;；\s]+")


@dataclass(frozen=True, eq=False)
class TextListSetting(SettingDef[list[str]]):
    """A list of words (活动, 类别, 培训形式), typed as 查封扣押、强制拆除; at least ``min_items``."""

    _: KW_ONLY
    min_items: int = 0
    kind = "text_list"

    def parse(self, raw: object) -> list[str]:
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            raise ValueError("应为若干项文字")
        if len(raw) < self.min_items:
            raise ValueError(
                "至少填写一项" if self.min_items == 1 else f"至少填写 {self.min_items} 项"
            )
        return [str(x) for x in raw]

    @staticmethod
    def to_text(value: list[str]) -> str:
        return "、".join(value)

    @staticmethod
    def from_text(text: str) -> list[str]:
        """Items separated by 、 , ， ； or spaces."""
        return [x for x in _SPLIT.split(text.strip()) if x]


@dataclass(frozen=True, eq=False)
class DateSetting(SettingDef[dt.date]):
    """A date, stored as YYYY-MM-DD."""

    kind = "date"

    def parse(self, raw: object) -> dt.date:
        if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
            return raw
        if isinstance(raw, str):
            try:
                return dt.date.fromisoformat(raw.strip())
            except ValueError:
                pass
        raise ValueError(f"“{raw}”不是有效的日期（格式 YYYY-MM-DD，如 2026-12-31）")

    def to_json(self, value: object) -> object:
        return value.isoformat() if isinstance(value, dt.date) else value


FOREVER = "永久"


@dataclass(frozen=True, eq=False)
class YearsTableSetting(SettingDef[dict[str, int | None]]):
    """Whole years (1–``max_years``) or forever (None) by name, typed as 查封扣押：永久；现场检查：1."""

    _: KW_ONLY
    max_years: int = 100
    kind = "years_table"

    def parse(self, raw: object) -> dict[str, int | None]:
        if not isinstance(raw, dict):
            raise ValueError("应为 名称：年数 的列表")
        out: dict[str, int | None] = {}
        for name, years in raw.items():
            if not isinstance(name, str) or not (
                years is None
                or (
                    isinstance(years, int)
                    and not isinstance(years, bool)
                    and 0 < years <= self.max_years
                )
            ):
                raise ValueError(f"“{name}”的年数应为 1–{self.max_years} 的整数，或“{FOREVER}”")
            out[name] = years
        return out

    @staticmethod
    def to_text(value: dict[str, int | None], sep: str = "；") -> str:
        return sep.join(f"{k}：{FOREVER if v is None else v}" for k, v in value.items())

    def from_text(self, text: str) -> dict[str, int | None]:
        """查封扣押：永久；现场检查：1 (or one per line) → {"查封扣押": None, "现场检查": 1};
        ValueError names the bad part."""
        out: dict[str, int | None] = {}
        for part in (p.strip() for p in re.split(r"[;；\n]+", text)):
            if not part:
                continue
            name, sep, years = (
                x.strip() for x in (re.split(r"([:：])", part, maxsplit=1) + ["", ""])[:3]
            )
            if not sep or not name:
                raise ValueError(f"“{part}”应写成 执法活动：年数（或“{FOREVER}”）")
            if years in ("", FOREVER):
                out[name] = None
            elif years.isdigit() and 0 < int(years) <= self.max_years:
                out[name] = int(years)
            else:
                raise ValueError(f"“{part}”的年数应为 1–{self.max_years} 的整数，或“{FOREVER}”")
        return out


@dataclass(frozen=True, eq=False)
class JsonSetting(SettingDef[T_co]):
    """Structured records edited as JSON (only the reporting calendar). ``validate`` checks the
    structure; the top-level type (list or object) must be the default's."""

    kind = "json"

    def parse(self, raw: object) -> T_co:
        if isinstance(self.default, list) and not isinstance(raw, list):
            raise ValueError("应为 JSON 列表（用 [ ] 括起的若干项）")
        if isinstance(self.default, dict) and not isinstance(raw, dict):
            raise ValueError("应为 JSON 对象（用 { } 括起）")
        return cast(T_co, raw)


def get(session: Session, d: SettingDef[T]) -> T:
    """The stored value of ``d`` as its kind's type; the default when none is stored or the stored
    one cannot be used (written by another program, by hand, or by an older version)."""
    from brigade_desk.core.models.settings import Setting

    row = session.get(Setting, d.key)
    if row is None:
        return copy.deepcopy(d.default)
    try:
        return d.coerce(json.loads(row.value))
    except (ValueError, TypeError) as exc:
        log.warning(
            "setting %s holds an unusable value %r (%s); using the default",
            d.key,
            str(row.value)[:200],
            exc,
        )
        return copy.deepcopy(d.default)


def set_value(session: Session, d: SettingDef[Any] | str, value: object) -> None:
    """Store ``value`` (a date is stored as YYYY-MM-DD); not checked: ``get`` checks on reading."""
    from brigade_desk.core.models.settings import Setting

    key = d if isinstance(d, str) else d.key
    if not isinstance(d, str):
        value = d.to_json(value)
    row = session.get(Setting, key)
    payload = json.dumps(value, ensure_ascii=False)
    if row is None:
        session.add(Setting(key=key, value=payload))
    else:
        row.value = payload


def get_key(
    session: Session, key: str, definitions: Mapping[str, SettingDef[Any]], default: Any = None
) -> Any:
    """A setting by key: a defined one as ``get`` reads it, any other as stored (or ``default``)."""
    from brigade_desk.core.models.settings import Setting

    defs = definitions
    if key in defs:
        return get(session, defs[key])
    row = session.get(Setting, key)
    return default if row is None else json.loads(row.value)


def read(db: Database, d: SettingDef[T]) -> T:
    """``get`` in a session of its own: one setting, for a page or dialog."""
    with db.session() as s:
        return get(s, d)


def read_many(db: Database, defs: Iterable[SettingDef[Any]]) -> dict[str, Any]:
    """The values of ``defs`` (read as ``get`` does) by key, all in one session."""
    with db.session() as s:
        return {d.key: get(s, d) for d in defs}


def save_many(db: Database, values: Mapping[SettingDef[Any] | str, object]) -> None:
    """Store every value (``set_value``) in one transaction: all are saved or none."""
    with db.begin() as s:
        for d, v in values.items():
            set_value(s, d, v)


UNIT_NAME = TextSetting("unit.name", "单位名称（填报单位）", "某县交通运输综合行政执法大队")
PREPARER = TextSetting("unit.preparer", "填表人", "")
REVIEWER = TextSetting("unit.reviewer", "审核人", "")
PHONE = TextSetting("unit.phone", "联系电话", "")
ADDRESSEE = TextSetting(
    "unit.addressee",
    "主送机关（年度工作报告）",
    "",
    placeholder="不填时按单位名称推定，如“某县交通运输局”",
)
MASK_IDS = BoolSetting(
    "privacy.mask_ids",
    "列表和不需要完整号码的表格中隐藏身份证号中间位",
    True,
    "关闭后所有列表和表格显示完整身份证号",
)
MASK_IDS_IN_FORMS = BoolSetting(
    "privacy.mask_ids_in_roster_export",
    "上报花名册中也隐藏身份证号中间位",
    False,
    "花名册通常需要完整身份证号；如上级不需要可打开",
)


SETTINGS: list[SettingDef[Any]] = [
    UNIT_NAME,
    PREPARER,
    REVIEWER,
    PHONE,
    ADDRESSEE,
    MASK_IDS,
    MASK_IDS_IN_FORMS,
]
