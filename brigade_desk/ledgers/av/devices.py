"""Device custody (执法记录仪登记): the brigade's body cameras and who held each one when.

A device has dated holder periods ``[from_at, to_at)`` (``to_at`` None: still held). Periods of one
device never overlap: a period that would overlap is refused with a message naming the holder and
dates it collides with. A hand-over closes the open period at the hand-over time and opens the next
holder's. Ingest asks :class:`Custody` (loaded once per batch) who held a device at a file's start.

Device numbers are compared case-insensitively (cameras and clerks write ``dsj-x`` and ``DSJ-X``).
No Qt here; plain dataclasses out, one short transaction per operation.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import brigade_desk.models  # noqa: F401  (every table known: foreign keys to staff are resolved by name)
from brigade_desk.core.db import Database
from brigade_desk.core.errors import UserError, ValidationError
from brigade_desk.core.textclean import DirtyText, Kind, clean
from brigade_desk.ledgers.av.device_no import validate_device_no
from brigade_desk.ledgers.av.models import AvDevice, AvDeviceHolder
from brigade_desk.ledgers.roster.models import Staff

TEXT_MAX = 100


def fmt_time(t: dt.datetime | None) -> str:
    """A holder period's end as the clerk reads it (minutes; an open end is 至今)."""
    return "至今" if t is None else f"{t:%Y-%m-%d %H:%M}"


def span(start: dt.datetime, end: dt.datetime | None) -> str:
    """``2026-12-01 08:00 至 2026-12-01 12:00`` or ``2026-12-01 08:00 至今``."""
    return f"{fmt_time(start)} 至今" if end is None else f"{fmt_time(start)} 至 {fmt_time(end)}"


def device_key(device_no: str) -> str:
    return device_no.strip().casefold()


@dataclass(frozen=True)
class DeviceView:
    id: int
    device_no: str
    model: str
    serial_no: str
    notes: str
    active: bool
    holder_id: int | None  # who holds it now (an open period), None when nobody
    holder: str
    since: dt.datetime | None


@dataclass(frozen=True)
class HolderView:
    id: int
    device_id: int
    device_no: str
    staff_id: int
    staff: str
    from_at: dt.datetime
    to_at: dt.datetime | None
    notes: str

    def describe(self) -> str:
        return f"{self.staff}（{span(self.from_at, self.to_at)}）"


@dataclass(frozen=True)
class Holding:
    """What the custody register says about one device at one moment."""

    device_no: str
    registered: bool  # the device is in the register
    staff_id: int | None = None
    staff: str = ""


class Custody:
    """The holder periods of every registered device, loaded once (a batch asks thousands of times)."""

    def __init__(self, session: Session) -> None:
        self._devices: dict[str, str] = {
            device_key(no): no for no in session.scalars(select(AvDevice.device_no))
        }
        self._periods: dict[str, list[tuple[dt.datetime, dt.datetime | None, int, str]]] = {}
        q = (
            select(
                AvDevice.device_no,
                AvDeviceHolder.from_at,
                AvDeviceHolder.to_at,
                Staff.id,
                Staff.name,
            )
            .join(AvDevice, AvDevice.id == AvDeviceHolder.device_id)
            .join(Staff, Staff.id == AvDeviceHolder.staff_id)
            .order_by(AvDeviceHolder.from_at)
        )
        for no, start, end, sid, name in session.execute(q):
            self._periods.setdefault(device_key(no), []).append((start, end, sid, name))
        self._starts = {k: [p[0] for p in v] for k, v in self._periods.items()}

    def __bool__(self) -> bool:
        return bool(self._devices)

    def at(self, device_no: str, when: dt.datetime) -> Holding:
        k = device_key(device_no)
        no = self._devices.get(k)
        if no is None:
            return Holding(device_no, False)
        periods = self._periods.get(k, [])
        i = bisect.bisect_right(self._starts.get(k, []), when) - 1
        if i >= 0:
            start, end, sid, name = periods[i]
            if start <= when and (end is None or when < end):
                return Holding(no, True, sid, name)
        return Holding(no, True)


def _clean_text(raw: str, label: str, kind: Kind, errs: dict[str, str], key: str) -> str:
    try:
        s, _ = clean(raw.strip(), kind)
    except DirtyText as exc:
        errs[key] = f"「{label}」{exc}"
        return raw.strip()
    if kind is Kind.KEY and len(s) > TEXT_MAX:
        errs[key] = f"「{label}」过长（最多 {TEXT_MAX} 个字符）"
    return s


def _staff(s: Session, staff_id: int) -> Staff:
    st = s.get(Staff, staff_id)
    if st is None:
        raise ValidationError({"staff_id": f"「持有人」编号 {staff_id} 不在花名册中"})
    return st


def _overlap(
    s: Session,
    device_id: int,
    start: dt.datetime,
    end: dt.datetime | None,
    ignore: Iterable[int] = (),
) -> AvDeviceHolder | None:
    """The first period of ``device_id`` that ``[start, end)`` overlaps (half-open; None = open)."""
    q = select(AvDeviceHolder).where(AvDeviceHolder.device_id == device_id)
    ign = list(ignore)
    if ign:
        q = q.where(AvDeviceHolder.id.not_in(ign))
    if end is not None:
        q = q.where(AvDeviceHolder.from_at < end)
    q = q.where((AvDeviceHolder.to_at.is_(None)) | (AvDeviceHolder.to_at > start))
    return s.scalars(q.order_by(AvDeviceHolder.from_at).limit(1)).first()


def _name(s: Session, staff_id: int) -> str:
    st = s.get(Staff, staff_id)
    return st.name if st is not None else f"#{staff_id}"


def _overlap_message(s: Session, device_no: str, other: AvDeviceHolder) -> str:
    st = s.get(Staff, other.staff_id)
    who = st.name if st is not None else f"#{other.staff_id}"
    return (
        f"执法记录仪 {device_no} 的持有期间与 {who}（{span(other.from_at, other.to_at)}）重叠；同一台设备同一时间只能由一人持有。"
        "请先结束或更正该持有记录。"
    )


class DeviceService:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ---- devices ------------------------------------------------------------------------------
    def devices(self, include_inactive: bool = True) -> list[DeviceView]:
        with self.db.session() as s:
            now_q = (
                select(AvDeviceHolder.device_id, Staff.id, Staff.name, AvDeviceHolder.from_at)
                .join(Staff, Staff.id == AvDeviceHolder.staff_id)
                .where(AvDeviceHolder.to_at.is_(None))
            )
            current = {d: (sid, name, since) for d, sid, name, since in s.execute(now_q)}
            q = select(AvDevice).order_by(AvDevice.device_no)
            if not include_inactive:
                q = q.where(AvDevice.active.is_(True))
            out = []
            for d in s.scalars(q):
                sid, name, since = current.get(d.id, (None, "", None))
                out.append(
                    DeviceView(
                        d.id, d.device_no, d.model, d.serial_no, d.notes, d.active, sid, name, since
                    )
                )
            return out

    def device_id(self, device_no: str) -> int:
        with self.db.session() as s:
            return self._device(s, device_no).id

    @staticmethod
    def _device(s: Session, device_no: str) -> AvDevice:
        d = s.scalars(
            select(AvDevice).where(func.lower(AvDevice.device_no) == device_key(device_no))
        ).first()
        if d is None:
            d = s.scalars(select(AvDevice).where(AvDevice.device_no == device_no.strip())).first()
        if d is None:
            raise UserError(f"执法记录仪 {device_no.strip()} 未登记；请先用「新增设备」登记。")
        return d

    def save_device(
        self,
        device_id: int | None,
        device_no: str,
        model: str = "",
        serial_no: str = "",
        notes: str = "",
        active: bool = True,
    ) -> int:
        errs: dict[str, str] = {}
        try:
            no = validate_device_no(device_no)
        except ValidationError as exc:
            errs.update(exc.fields)
            no = device_no.strip()
        if not no and "device_no" not in errs:
            errs["device_no"] = "请填写「编号」"
        model = _clean_text(model, "型号", Kind.KEY, errs, "model")
        serial_no = _clean_text(serial_no, "产品序号", Kind.KEY, errs, "serial_no")
        notes = _clean_text(notes, "备注", Kind.TEXT, errs, "notes")
        if errs:
            raise ValidationError(errs)
        with self.db.begin() as s:
            clash = s.scalars(
                select(AvDevice).where(func.lower(AvDevice.device_no) == device_key(no))
            ).first()
            if clash is not None and clash.id != device_id:
                raise ValidationError({"device_no": f"「编号」{no} 已登记（{clash.device_no}）"})
            d = s.get(AvDevice, device_id) if device_id else None
            if device_id and d is None:
                raise UserError(f"执法记录仪 #{device_id} 不存在（可能已被删除）")
            if d is None:
                d = AvDevice()
                s.add(d)
            d.device_no, d.model, d.serial_no, d.notes, d.active = (
                no,
                model,
                serial_no,
                notes,
                active,
            )
            s.flush()
            return d.id

    # ---- holders ------------------------------------------------------------------------------
    def history(self, device_id: int | None = None) -> list[HolderView]:
        """Holder periods (of one device, or all), newest first."""
        q = (
            select(AvDeviceHolder, AvDevice.device_no, Staff.name)
            .join(AvDevice, AvDevice.id == AvDeviceHolder.device_id)
            .join(Staff, Staff.id == AvDeviceHolder.staff_id)
        )
        if device_id is not None:
            q = q.where(AvDeviceHolder.device_id == device_id)
        q = q.order_by(AvDevice.device_no, AvDeviceHolder.from_at.desc())
        with self.db.session() as s:
            return [
                HolderView(h.id, h.device_id, no, h.staff_id, name, h.from_at, h.to_at, h.notes)
                for h, no, name in s.execute(q)
            ]

    def add_period(
        self,
        device_id: int,
        staff_id: int,
        start: dt.datetime,
        end: dt.datetime | None = None,
        notes: str = "",
    ) -> int:
        """Record that ``staff_id`` held the device over ``[start, end)``; refused if it overlaps."""
        errs: dict[str, str] = {}
        notes = _clean_text(notes, "备注", Kind.TEXT, errs, "notes")
        if end is not None and end <= start:
            errs["to_at"] = f"「至」（{fmt_time(end)}）应晚于「自」（{fmt_time(start)}）"
        if errs:
            raise ValidationError(errs)
        start, end = _minute(start), _minute(end) if end is not None else None
        with self.db.begin() as s:
            d = s.get(AvDevice, device_id)
            if d is None:
                raise UserError(f"执法记录仪 #{device_id} 不存在（可能已被删除）")
            _staff(s, staff_id)
            other = _overlap(s, device_id, start, end)
            if other is not None:
                raise ValidationError({"from_at": _overlap_message(s, d.device_no, other)})
            h = AvDeviceHolder(
                device_id=device_id, staff_id=staff_id, from_at=start, to_at=end, notes=notes
            )
            s.add(h)
            s.flush()
            return h.id

    def hand_over(
        self, device_id: int, staff_id: int | None, at: dt.datetime, notes: str = ""
    ) -> int | None:
        """交接: the current holder's open period ends at ``at``; ``staff_id`` (None: the device is
        returned, nobody holds it) holds it from ``at``. One transaction: both or neither."""
        errs: dict[str, str] = {}
        notes = _clean_text(notes, "备注", Kind.TEXT, errs, "notes")
        if errs:
            raise ValidationError(errs)
        at = _minute(at)
        with self.db.begin() as s:
            d = s.get(AvDevice, device_id)
            if d is None:
                raise UserError(f"执法记录仪 #{device_id} 不存在（可能已被删除）")
            if staff_id is not None:
                st = _staff(s, staff_id)
            cur = s.scalars(
                select(AvDeviceHolder).where(
                    AvDeviceHolder.device_id == device_id, AvDeviceHolder.to_at.is_(None)
                )
            ).first()
            if cur is not None:
                if at <= cur.from_at:
                    holder = s.get(Staff, cur.staff_id)
                    raise ValidationError(
                        {
                            "from_at": f"交接时间 {fmt_time(at)} 不晚于当前持有人 "
                            f"{holder.name if holder else cur.staff_id} 的领用时间 "
                            f"{fmt_time(cur.from_at)}；请更正交接时间。"
                        }
                    )
                if staff_id is not None and cur.staff_id == staff_id:
                    raise ValidationError(
                        {"staff_id": f"执法记录仪 {d.device_no} 现在就由 {st.name} 持有"}
                    )
                cur.to_at = at
                s.flush()
            elif staff_id is None:
                raise ValidationError(
                    {"staff_id": f"执法记录仪 {d.device_no} 现在无人持有，无需归还"}
                )
            if staff_id is None:
                return None
            other = _overlap(s, device_id, at, None)
            if other is not None:
                raise ValidationError({"from_at": _overlap_message(s, d.device_no, other)})
            h = AvDeviceHolder(
                device_id=device_id, staff_id=staff_id, from_at=at, to_at=None, notes=notes
            )
            s.add(h)
            s.flush()
            return h.id

    def last_change(self, device_id: int) -> str | None:
        """What :meth:`undo_last_hand_over` would undo, said for the clerk; None: nothing to undo."""
        with self.db.session() as s:
            got = self._last_periods(s, device_id)
            if got is None:
                return None
            d, last, prev, name = got
            if last.to_at is not None:
                return f"{fmt_time(last.to_at)} {name} 归还 {d.device_no}（撤销后恢复为由 {name} 持有）"
            if prev is not None:
                prev_name = _name(s, prev.staff_id)
                return (
                    f"{fmt_time(last.from_at)} {prev_name} 把 {d.device_no} 交给 {name}"
                    f"（撤销后恢复为由 {prev_name} 持有）"
                )
            return f"{fmt_time(last.from_at)} {name} 领用 {d.device_no}（撤销后为无人持有）"

    @staticmethod
    def _last_periods(
        s: Session, device_id: int
    ) -> tuple[AvDevice, AvDeviceHolder, AvDeviceHolder | None, str] | None:
        d = s.get(AvDevice, device_id)
        if d is None:
            raise UserError(f"执法记录仪 #{device_id} 不存在（可能已被删除）")
        periods = list(
            s.scalars(
                select(AvDeviceHolder)
                .where(AvDeviceHolder.device_id == device_id)
                .order_by(AvDeviceHolder.from_at.desc(), AvDeviceHolder.id.desc())
                .limit(2)
            )
        )
        if not periods:
            return None
        last = periods[0]
        prev = periods[1] if len(periods) > 1 and periods[1].to_at == last.from_at else None
        return d, last, prev, _name(s, last.staff_id)

    def undo_last_hand_over(self, device_id: int) -> str:
        """Undo the device's latest change of hands (a slip: the wrong person, the wrong time):
        a return is taken back (the period open again); a hand-over is taken back (its period
        removed, the one before it open again); a first issue is removed. One transaction, in
        the audit trail. Files already ingested keep the person they were attributed to (the
        record's 更正人员… corrects one). Returns what was undone."""
        with self.db.begin() as s:
            got = self._last_periods(s, device_id)
            if got is None:
                raise UserError("这台执法记录仪还没有持有记录，没有可撤销的交接。")
            d, last, prev, name = got
            if last.to_at is not None:
                other = _overlap(s, device_id, last.from_at, None, ignore=[last.id])
                if other is not None:
                    raise UserError(_overlap_message(s, d.device_no, other))
                last.to_at = None
                return f"已撤销 {name} 归还 {d.device_no}：现由 {name} 持有"
            s.delete(last)
            if prev is not None:
                prev.to_at = None
                return f"已撤销交接：{d.device_no} 现由 {_name(s, prev.staff_id)} 持有"
            return f"已撤销 {name} 领用 {d.device_no}：现在无人持有"

    def holder_at(self, device_no: str, when: dt.datetime) -> Holding:
        with self.db.session() as s:
            return Custody(s).at(device_no, when)

    def staff(self) -> list[tuple[int, str]]:
        with self.db.session() as s:
            rows = s.execute(
                select(Staff.id, Staff.name, Staff.squad).order_by(Staff.squad, Staff.name)
            ).all()
        return [(i, f"{n}（{sq}）" if sq else n) for i, n, sq in rows]


def _minute(t: dt.datetime) -> dt.datetime:
    """Holder periods are kept to the second (a hand-over is noted to the minute, files to the second)."""
    return t.replace(microsecond=0, tzinfo=None)


def parse_time(raw: str) -> dt.datetime:
    """``2026-12-01 10:30`` (or with seconds, a ``T``, ``/``, or a date alone = 00:00)."""
    s = raw.strip().replace("T", " ").replace("/", "-")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(s, fmt)
        except ValueError:
            continue
    raise UserError(f"时间「{raw}」无法识别，应写作 2026-12-01 10:30")
