"""Synthetic people: Chinese names, mobile numbers and resident ID numbers.

Names are sampled with numpy from faker's zh_CN name lists (surnames with their
published frequencies) instead of calling faker per row, which would take
minutes at a million clients.  ID numbers follow GB 11643-1999: a real
six-digit area code of the city, the birth date, a sequence number whose last
digit is odd for men and even for women, and the ISO 7064 MOD 11-2 check digit.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from faker.providers.person.zh_CN import Provider as _Names
from faker.providers.phone_number.zh_CN import Provider as _Phones

from wealthdesk.demo.strings import ascii_rows, concat, digit_matrix, pick

SURNAMES: tuple[str, ...] = tuple(_Names.last_names)
_SURNAME_P = np.array(list(_Names.last_names.values()), dtype=float)
_SURNAME_P /= _SURNAME_P.sum()
GIVEN_MALE: tuple[str, ...] = tuple(_Names.first_names_male)
GIVEN_FEMALE: tuple[str, ...] = tuple(_Names.first_names_female)
MOBILE_PREFIXES = np.array(sorted(_Phones.phonenumber_prefixes), dtype=np.int64)

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK_CHARS = "10X98765432"

# pinyin of every surname and given-name character the samplers use (for ASCII WeCom userids)
PINYIN: dict[str, str] = {
    "王": "wang",
    "李": "li",
    "张": "zhang",
    "刘": "liu",
    "陈": "chen",
    "杨": "yang",
    "黄": "huang",
    "吴": "wu",
    "赵": "zhao",
    "周": "zhou",
    "徐": "xu",
    "孙": "sun",
    "马": "ma",
    "朱": "zhu",
    "胡": "hu",
    "林": "lin",
    "郭": "guo",
    "何": "he",
    "高": "gao",
    "罗": "luo",
    "郑": "zheng",
    "梁": "liang",
    "谢": "xie",
    "宋": "song",
    "唐": "tang",
    "许": "xu",
    "邓": "deng",
    "冯": "feng",
    "韩": "han",
    "曹": "cao",
    "曾": "zeng",
    "彭": "peng",
    "萧": "xiao",
    "蔡": "cai",
    "潘": "pan",
    "田": "tian",
    "董": "dong",
    "袁": "yuan",
    "于": "yu",
    "余": "yu",
    "叶": "ye",
    "蒋": "jiang",
    "杜": "du",
    "苏": "su",
    "魏": "wei",
    "程": "cheng",
    "吕": "lv",
    "丁": "ding",
    "沈": "shen",
    "任": "ren",
    "姚": "yao",
    "卢": "lu",
    "傅": "fu",
    "钟": "zhong",
    "姜": "jiang",
    "崔": "cui",
    "谭": "tan",
    "廖": "liao",
    "范": "fan",
    "汪": "wang",
    "陆": "lu",
    "金": "jin",
    "石": "shi",
    "戴": "dai",
    "贾": "jia",
    "韦": "wei",
    "夏": "xia",
    "邱": "qiu",
    "方": "fang",
    "侯": "hou",
    "邹": "zou",
    "熊": "xiong",
    "孟": "meng",
    "秦": "qin",
    "白": "bai",
    "江": "jiang",
    "阎": "yan",
    "薛": "xue",
    "尹": "yin",
    "段": "duan",
    "伟": "wei",
    "强": "qiang",
    "磊": "lei",
    "洋": "yang",
    "勇": "yong",
    "军": "jun",
    "杰": "jie",
    "涛": "tao",
    "超": "chao",
    "明": "ming",
    "刚": "gang",
    "平": "ping",
    "辉": "hui",
    "鹏": "peng",
    "华": "hua",
    "飞": "fei",
    "鑫": "xin",
    "波": "bo",
    "斌": "bin",
    "宇": "yu",
    "浩": "hao",
    "凯": "kai",
    "健": "jian",
    "俊": "jun",
    "帆": "fan",
    "帅": "shuai",
    "旭": "xu",
    "宁": "ning",
    "龙": "long",
    "欢": "huan",
    "佳": "jia",
    "阳": "yang",
    "建": "jian",
    "亮": "liang",
    "成": "cheng",
    "峰": "feng",
    "国": "guo",
    "晨": "chen",
    "瑞": "rui",
    "志": "zhi",
    "兵": "bing",
    "雷": "lei",
    "东": "dong",
    "博": "bo",
    "彬": "bin",
    "坤": "kun",
    "想": "xiang",
    "岩": "yan",
    "文": "wen",
    "利": "li",
    "楠": "nan",
    "红": "hong",
    "霞": "xia",
    "芳": "fang",
    "娜": "na",
    "敏": "min",
    "静": "jing",
    "秀": "xiu",
    "英": "ying",
    "丽": "li",
    "艳": "yan",
    "娟": "juan",
    "兰": "lan",
    "燕": "yan",
    "玲": "ling",
    "桂": "gui",
    "丹": "dan",
    "萍": "ping",
    "玉": "yu",
    "梅": "mei",
    "莉": "li",
    "珍": "zhen",
    "婷": "ting",
    "凤": "feng",
    "晶": "jing",
    "颖": "ying",
    "雪": "xue",
    "慧": "hui",
    "倩": "qian",
    "琴": "qin",
    "畅": "chang",
    "云": "yun",
    "洁": "jie",
    "柳": "liu",
    "淑": "shu",
    "春": "chun",
    "海": "hai",
    "冬": "dong",
    "荣": "rong",
    "莹": "ying",
    "琳": "lin",
    "欣": "xin",
    "香": "xiang",
    "芝": "zhi",
    "小": "xiao",
    "瑜": "yu",
    "花": "hua",
    "璐": "lu",
}


def sample_names(gender_male: np.ndarray, rng: np.random.Generator, surnames_with_pinyin: bool = False) -> pa.Array:
    """Full names (surname + one- or two-character given name) for the given genders."""
    n = len(gender_male)
    surnames = [s for s in SURNAMES if s in PINYIN] if surnames_with_pinyin else list(SURNAMES)
    p = np.array([_Names.last_names[s] for s in surnames], dtype=float)
    sur = rng.choice(len(surnames), size=n, p=p / p.sum())
    given_m = rng.integers(0, len(GIVEN_MALE), size=n)
    given_f = rng.integers(0, len(GIVEN_FEMALE), size=n)
    given = pa.array(np.where(gender_male, given_m, given_f + len(GIVEN_MALE)))
    vocab = pa.array(list(GIVEN_MALE) + list(GIVEN_FEMALE))
    return concat(pick(surnames, sur), vocab.take(given))


def pinyin_of(name: str) -> str:
    """ASCII pinyin of a generated name (every character the sampler uses is mapped)."""
    return "".join(PINYIN.get(ch, "x") for ch in name)


def mobile_numbers(n: int, rng: np.random.Generator) -> pa.Array:
    """11-digit mobile numbers with real three-digit carrier prefixes."""
    prefix = MOBILE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), size=n)]
    number = prefix * 100_000_000 + rng.integers(0, 100_000_000, size=n)
    return ascii_rows(digit_matrix(number, 11) + ord("0"))


def id_numbers(area_codes: np.ndarray, birth: np.ndarray, male: np.ndarray, rng: np.random.Generator) -> pa.Array:
    """18-digit resident ID numbers (GB 11643-1999) with a correct ISO 7064 MOD 11-2 check digit."""
    birth = birth.astype("datetime64[D]")
    years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    months = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (birth - birth.astype("datetime64[M]")).astype(np.int64) + 1
    seq = rng.integers(0, 50, size=len(birth)) * 20 + rng.integers(0, 5, size=len(birth)) * 2 + np.where(male, 1, 0)
    body = area_codes.astype(np.int64) * 10**11 + (years * 10000 + months * 100 + days) * 1000 + seq
    digits = digit_matrix(body, 17)
    check = (digits.astype(np.int64) @ ID_WEIGHTS) % 11
    check_ascii = np.frombuffer(ID_CHECK_CHARS.encode("ascii"), dtype=np.uint8)[check]
    return ascii_rows(np.concatenate([digits + ord("0"), check_ascii[:, None]], axis=1))


def id_check_char(first17: str) -> str:
    """The check character for the first 17 digits of an ID number (used to plant bad checksums)."""
    return ID_CHECK_CHARS[sum(int(d) * int(w) for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]
