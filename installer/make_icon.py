"""Draw installer/brigade_desk.ico (the program icon) with Pillow and the shipped Chinese font.

    python installer/make_icon.py

Run once by hand when the icon should change; the .ico is committed. A dark-blue rounded square
with a white 台 (台账, ledger) in WenQuanYi Micro Hei.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
FONT = HERE.parent / "brigade_desk" / "resources" / "fonts" / "wqy-microhei.ttc"
OUT = HERE / "brigade_desk.ico"
SIZES = [16, 24, 32, 48, 64, 128, 256]


def draw(size: int = 256) -> Image.Image:
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    r = size // 6
    d.rounded_rectangle((0, 0, size - 1, size - 1), radius=r, fill=(22, 74, 140, 255))
    d.rectangle((0, size * 3 // 4, size - 1, size * 3 // 4 + size // 24), fill=(214, 40, 40, 255))
    font = ImageFont.truetype(str(FONT), int(size * 0.62), index=0)
    text = "台"
    box = d.textbbox((0, 0), text, font=font)
    w, h = box[2] - box[0], box[3] - box[1]
    d.text(
        ((size - w) / 2 - box[0], (size * 0.72 - h) / 2 - box[1] + size * 0.02),
        text,
        font=font,
        fill=(255, 255, 255, 255),
    )
    return img


def main() -> int:
    big = draw(256)
    big.save(OUT, format="ICO", sizes=[(s, s) for s in SIZES])
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
