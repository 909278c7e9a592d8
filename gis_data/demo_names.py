"""Plausible Chinese names for the demo city (streets are Jinshui's real street names)."""

from __future__ import annotations

import numpy as np

STREETS = (
    "经八路街道",
    "花园路街道",
    "人民路街道",
    "杜岭街道",
    "大石桥街道",
    "南阳路街道",
    "南阳新村街道",
    "文化路街道",
    "丰产路街道",
    "东风路街道",
    "北林路街道",
    "未来路街道",
    "凤凰台街道",
    "丰庆路街道",
    "国基路街道",
    "杨金路街道",
    "兴达路街道",
    "祭城路街道",
    "如意湖街道",
    "龙子湖街道",
    "博学路街道",
    "金光路街道",
)
_PLACES = (
    "纬五路",
    "纬一路",
    "经三路",
    "经五路",
    "经七路",
    "农业路",
    "黄河路",
    "金水路",
    "红旗路",
    "政七街",
    "健康路",
    "索凌路",
    "沙口路",
    "丰产路",
    "东明路",
    "优胜路",
    "姚砦",
    "燕庄",
    "关虎屯",
    "庙李",
    "柳林",
    "沙门",
    "徐庄",
    "刘庄",
    "杨君刘",
    "王庄",
    "宋砦",
    "张家村",
    "岗杜",
    "文化路",
    "南阳路",
    "国基路",
    "鑫苑路",
    "花园路",
    "三全路",
    "兴达路",
    "博颂路",
    "天明路",
    "北环路",
    "东风渠",
    "顺河路",
    "杜岭街",
    "玉凤路",
    "郑汴路",
    "商都路",
    "丰庆路",
    "英才街",
    "园田路",
    "明鸿路",
    "天赋路",
    "金杯路",
    "众意路",
)
_QUARTERS = ("", "东", "西", "南", "北", "中", "新")
_AREA_WORDS = (
    "金水",
    "锦绣",
    "丰乐",
    "文博",
    "紫荆",
    "龙湖",
    "宏达",
    "和谐",
    "金桥",
    "翠竹",
    "英协",
    "红旗",
    "东方",
    "银河",
    "嘉园",
    "绿城",
    "盛世",
    "阳光",
    "颐和",
    "名门",
    "晨旭",
    "秀水",
    "金色",
    "怡丰",
    "馨苑",
    "永安",
    "枫林",
    "泰和",
    "博雅",
    "荣华",
    "景园",
    "华城",
    "柳林",
    "天明",
    "凤凰",
    "新都",
    "顺驰",
    "宝龙",
    "丰泽",
    "瑞祥",
)
_AREA_SUFFIXES = ("小区", "花园", "家园", "苑", "新村", "公寓", "佳苑", "名城", "雅居")
_OLD_UNITS = (
    "省电力公司",
    "国棉三厂",
    "市第二砂轮厂",
    "省地矿局",
    "郑州铁路局",
    "市自来水公司",
    "省建一公司",
    "河南日报社",
    "市邮电局",
    "省农科院",
    "黄委会",
    "市煤气公司",
    "省交通厅",
    "郑州大学",
    "河南中医学院",
    "市第一人民医院",
    "省粮食厅",
    "市公交公司",
)
_ORDINALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")
_COMPANY_WORDS = (
    "正商",
    "建业",
    "康桥",
    "永威",
    "鑫苑",
    "绿都",
    "亚星",
    "升龙",
    "名门",
    "瑞阳",
    "兴华",
    "金成",
    "中原",
    "豫发",
    "长城",
    "宏泰",
    "安信",
    "天明",
    "华瑞",
    "立业",
    "汇源",
    "润物",
    "新田",
    "嵩山",
    "黄河",
)


def street_name(i: int) -> str:
    """The i-th street's name (real Jinshui names, numbered past the end of the list)."""
    base = STREETS[i % len(STREETS)]
    return base if i < len(STREETS) else f"{base[:-2]}{i // len(STREETS) + 1}街道"


def community_names(n: int, rng: np.random.Generator) -> list[str]:
    """`n` distinct community names like 纬五路社区, 农业路东社区."""
    pool = [f"{p}{q}社区" for q in _QUARTERS for p in _PLACES]
    picked = list(rng.permutation(len(_PLACES)))  # first round: plain road names
    rest = list(len(_PLACES) + rng.permutation(len(pool) - len(_PLACES)))
    order = (picked + rest) * (n // len(pool) + 1)
    return [
        pool[k] if i < len(pool) else f"{pool[k][:-2]}{i // len(pool) + 1}社区"
        for i, k in enumerate(order[:n])
    ]


def area_name(rng: np.random.Generator, old: bool, used: set[str]) -> str:
    """A 小区 name; old ones are often work-unit compounds (…家属院)."""
    for attempt in range(50):
        if old and rng.random() < 0.45:
            name = f"{_OLD_UNITS[rng.integers(len(_OLD_UNITS))]}家属院"
        else:
            word = _AREA_WORDS[rng.integers(len(_AREA_WORDS))]
            name = f"{word}{_AREA_SUFFIXES[rng.integers(len(_AREA_SUFFIXES))]}"
        if attempt > 5:
            name = f"{name}{_ORDINALS[attempt % len(_ORDINALS)]}期"
        if name not in used:
            used.add(name)
            return name
    name = f"{name}{len(used)}"
    used.add(name)
    return name


def company_names(n: int, rng: np.random.Generator) -> list[str]:
    """`n` distinct property company names."""
    words = [_COMPANY_WORDS[i] for i in rng.permutation(len(_COMPANY_WORDS))]
    kinds = ("物业服务有限公司", "物业管理有限公司", "智慧物业服务有限公司")
    return [
        f"郑州{words[i % len(words)]}{kinds[(i // len(words) + i) % len(kinds)]}"
        if i < len(words)
        else f"郑州{words[i % len(words)]}{i // len(words) + 1}物业有限公司"
        for i in range(n)
    ]
