"""Chinese names and places for synthetic data."""

from __future__ import annotations

import datetime as dt
import random

from brigade_desk.core import idcard

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红玉兰凤海斌鹏辉宇浩凯健俊帆帅旭宁龙林欣瑶婷雪琳晨阳峰波亮成德福生荣发顺彬鑫博文武宏振毅"
REGIONS = (
    "630102",
    "630103",
    "630104",
    "630105",
    "632121",
    "632122",
    "632123",
    "632126",
    "632127",
    "632128",
)


def name(rng: random.Random) -> str:
    g = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + g


def id_number(
    rng: random.Random, birth_from: int = 1965, birth_to: int = 2000, male: bool | None = None
) -> tuple[str, bool]:
    male = rng.random() < 0.78 if male is None else male
    start = dt.date(birth_from, 1, 1).toordinal()
    end = dt.date(birth_to, 12, 31).toordinal()
    birth = dt.date.fromordinal(rng.randint(start, end))
    return idcard.make(rng, rng.choice(REGIONS), birth, male), male


def phone(rng: random.Random) -> str:
    return (
        rng.choice(("138", "139", "135", "150", "151", "177", "180", "189"))
        + f"{rng.randrange(10**8):08d}"
    )


def date_between(rng: random.Random, a: dt.date, b: dt.date) -> dt.date:
    if b <= a:
        return a
    return dt.date.fromordinal(rng.randint(a.toordinal(), b.toordinal()))
