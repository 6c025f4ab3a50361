"""Elderly mode (长辈模式): the few items offered first, and the four steps of an application ("第 2 步，共 4 步").

>>> step_of("apply")
(3, 4, '填写信息')
>>> [item.name for item in elderly_items(catalog)][:2]
['老年人优待证办理', '80周岁以上高龄津贴申领']
"""

from __future__ import annotations

from config.i18n import _
from kiosk.catalog import Catalog, ServiceItem

# What older residents come to a village point for most: fewer choices, the likeliest first.
ELDERLY_ITEMS: tuple[str, ...] = (
    "MZ0001",  # 老年人优待证办理
    "MZ0002",  # 80周岁以上高龄津贴申领
    "RS0005",  # 城乡居民基本养老保险待遇申领
    "YB0003",  # 门诊慢特病待遇认定
    "YB0002",  # 异地就医备案
    "RS0004",  # 社会保障卡补换
)

STEPS: tuple[str, ...] = (_("识别身份"), _("选择事项"), _("填写信息"), _("核对提交"))  # the order of the 办事 flow
DONE = _("提交完成")

_STEP_OF_SCREEN = {"identify": 1, "catalog": 2, "guide": 2, "apply": 3, "review": 4}


def step_of(screen_name: str) -> tuple[int, int, str] | None:
    """Where ``screen_name`` stands among the steps, as (current, total, name); None for a screen outside them.

    The done screen is the last step, finished.
    """
    if screen_name == "done":
        return len(STEPS), len(STEPS), DONE
    current = _STEP_OF_SCREEN.get(screen_name)
    if current is None:
        return None
    return current, len(STEPS), STEPS[current - 1]


def elderly_items(catalog: Catalog) -> list[ServiceItem]:
    """The items of :data:`ELDERLY_ITEMS` this catalog still holds (the hall may withdraw one), in that order."""
    codes = {item.code for item in catalog}
    return [catalog[code] for code in ELDERLY_ITEMS if code in codes]
