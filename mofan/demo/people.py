"""Generated people for the demo and the benchmarks: names, 身份证号, mobile numbers.

Everything here is driven by a ``random.Random`` that the caller seeds, so the same seed gives the same
people. The names are common Chinese family and given names (and, for 苏木 and 嘎查, Mongolian names as they
are usually written in Chinese characters); none refers to a real person.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from mofan.core.identity import id_number_check_digit

# Family names, roughly by frequency: the first ones come up far more often than the last ones.
FAMILY_NAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余"
    "潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
    "庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍韦申尤毕聂丛焦向柳邢路岳齐沿梅莫庄辛管祝左涂谷祁时舒耿牟卜"
)
COMPOUND_FAMILY_NAMES = ("欧阳", "司马", "上官", "呼延", "诸葛", "令狐")

MALE_GIVEN = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁宇浩凯健俊帆帅旭晨亮成龙文峰海东志国建新春永立玉林振庆锋军"
    "斌彬博昊然宏毅晓德胜利兴福贵宝山忠诚瑞祥达松柏朝阳"
)
FEMALE_GIVEN = (
    "芳娜敏静丽艳娟霞秀英玲燕红梅琳莉婷雪慧颖洁琴云莹丹萍璐佳蕾倩欣悦瑶雯晶怡妍菲蓉彤媛嘉琪璇淑珍凤兰"
    "月美霞桂荣翠玉青春晓露"
)

MONGOLIAN_MALE = (
    "巴特尔", "额尔敦", "宝音", "那仁", "阿拉坦", "朝鲁", "孟和", "苏和", "敖其尔", "毕力格", "巴图", "吉日嘎拉",
    "乌力吉", "哈斯", "布和", "特木尔", "达来", "图门", "额尔德尼", "巴雅尔", "桑布", "满都拉",
)
MONGOLIAN_FEMALE = (
    "其其格", "乌云", "斯琴", "图雅", "萨仁", "娜仁花", "格日勒", "托娅", "塔娜", "高娃", "乌兰", "萨日娜",
    "琪琪格", "额尔登其木格", "阿拉坦其其格", "苏日娜", "敖登", "诺敏",
)

# Mobile number prefixes of the three mainland carriers (first three digits).
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182", "183",
    "184", "185", "186", "187", "188", "189", "191", "198", "199",
)


def _cumulative(count: int, exponent: float) -> list[float]:
    total, weights = 0.0, []
    for rank in range(1, count + 1):
        total += 1 / rank**exponent
        weights.append(total)
    return weights


# A Zipf-like weighting: the five commonest family names cover about a quarter of the people.
_FAMILY_WEIGHTS = _cumulative(len(FAMILY_NAMES), 0.8)


def _weighted_family(rng: random.Random) -> str:
    if rng.random() < 0.01:
        return rng.choice(COMPOUND_FAMILY_NAMES)
    return rng.choices(FAMILY_NAMES, cum_weights=_FAMILY_WEIGHTS)[0]


def make_name(rng: random.Random, gender: str, *, mongolian_share: float = 0.0) -> str:
    """A plausible full name for gender 'M' or 'F'; ``mongolian_share`` of names are Mongolian."""
    if mongolian_share and rng.random() < mongolian_share:
        return rng.choice(MONGOLIAN_MALE if gender == "M" else MONGOLIAN_FEMALE)
    pool = MALE_GIVEN if gender == "M" else FEMALE_GIVEN
    given = rng.choice(pool)
    if rng.random() < 0.7:
        second = rng.choice(pool)
        while second == given:
            second = rng.choice(pool)
        given += second
    return _weighted_family(rng) + given


def make_id_number(region: str, birth: dt.date, sequence: int, gender: str) -> str:
    """A valid 18-digit 身份证号: region code, birth date, a 3-digit sequence whose last digit is odd for
    men and even for women, and the check digit. ``sequence`` (0–499) picks the order code."""
    if len(region) != 6 or not region.isdigit():
        raise ValueError("region must be a 6-digit GB/T 2260 code")
    if not 0 <= sequence < 500:
        raise ValueError("sequence must be in 0..499")
    order = sequence * 2 + (1 if gender == "M" else 0)
    first17 = f"{region}{birth:%Y%m%d}{order:03d}"
    return first17 + id_number_check_digit(first17)


def make_birth_date(rng: random.Random, *, min_age: int, max_age: int, today: dt.date) -> dt.date:
    oldest = dt.date(today.year - max_age, 1, 1)
    youngest = dt.date(today.year - min_age, 12, 31)
    return oldest + dt.timedelta(days=rng.randrange((youngest - oldest).days))


def make_mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


@dataclass(frozen=True)
class GeneratedPerson:
    name: str
    gender: str
    id_number: str
    phone: str
    birth: dt.date


class PersonFactory:
    """Makes people with unique ID numbers and phone numbers from one seeded generator."""

    def __init__(self, rng: random.Random, *, region: str, today: dt.date) -> None:
        self.rng = rng
        self.region = region
        self.today = today
        self._ids: set[str] = set()
        self._phones: set[str] = set()

    def make(self, *, min_age: int = 23, max_age: int = 58, mongolian_share: float = 0.0,
             gender: str | None = None) -> GeneratedPerson:
        rng = self.rng
        gender = gender or ("M" if rng.random() < 0.55 else "F")
        name = make_name(rng, gender, mongolian_share=mongolian_share)
        while True:
            birth = make_birth_date(rng, min_age=min_age, max_age=max_age, today=self.today)
            id_number = make_id_number(self.region, birth, rng.randrange(500), gender)
            if id_number not in self._ids:
                self._ids.add(id_number)
                break
        while True:
            phone = make_mobile(rng)
            if phone not in self._phones:
                self._phones.add(phone)
                break
        return GeneratedPerson(name=name, gender=gender, id_number=id_number, phone=phone, birth=birth)
