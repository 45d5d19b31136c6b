"""The device number (执法记录仪编号) as it may be stored: one check for the service, the device
register and ingest (a leaf module: both import it without importing each other)."""

from __future__ import annotations

from brigade_desk.core.errors import ValidationError
from brigade_desk.core.textclean import DirtyText, Kind, clean

__all__ = ["DEVICE_NO_MAX", "validate_device_no"]

DEVICE_NO_MAX = 50  # av_record.device_no


def validate_device_no(raw: str) -> str:
    """A device number (执法记录仪编号) as it may be stored — from a file name, a pattern or the
    ``--device`` option: spaces and a zero-width character at either end removed; raises
    :class:`~brigade_desk.core.errors.ValidationError` (field ``device_no``) when it holds an
    invisible character inside, a direction or control character, or is too long."""
    try:
        s, _removed = clean(raw.strip(), Kind.KEY)
    except DirtyText as exc:
        raise ValidationError({"device_no": f"「执法记录仪编号」{exc}"}) from None
    if len(s) > DEVICE_NO_MAX:
        raise ValidationError(
            {"device_no": f"「执法记录仪编号」过长（{len(s)} 个字符，最多 {DEVICE_NO_MAX} 个）"}
        )
    return s
