"""Fictional cardholders, one or more of every card type, whose numbers pass the GB 11643 check.

Residents of 红塔区 (division 530402) for the resident card; the demo and the simulator present these.
"""

from __future__ import annotations

from datetime import date

from devices.base import IdentityCard

WANG_XIUYING = IdentityCard(
    name="王秀英",
    sex="女",
    ethnicity="汉",
    birth_date=date(1941, 3, 15),
    address="云南省玉溪市红塔区玉兴街道北门社区北门街12号",
    id_number="530402194103150025",
    issuer="玉溪市公安局红塔分局",
    valid_from=date(2010, 5, 6),
    valid_to=None,
)
LI_JIANGUO = IdentityCard(
    name="李建国",
    sex="男",
    ethnicity="彝",
    birth_date=date(1958, 7, 1),
    address="云南省玉溪市红塔区大营街街道大营街社区振兴路8号",
    id_number="53040219580701013X",
    issuer="玉溪市公安局红塔分局",
    valid_from=date(2018, 9, 3),
    valid_to=date(2038, 9, 3),
)
ZHAO_XIAOYU = IdentityCard(
    name="赵晓雨",
    sex="女",
    ethnicity="汉",
    birth_date=date(1995, 9, 20),
    address="云南省玉溪市红塔区凤凰路街道东风社区南苑小区3栋2单元501号",
    id_number="530402199509200240",
    issuer="玉溪市公安局红塔分局",
    valid_from=date(2021, 4, 12),
    valid_to=date(2031, 4, 12),
)
CHAN_KAMING = IdentityCard(
    name="陈家明",
    sex="男",
    ethnicity="",
    birth_date=date(1990, 5, 12),
    address="云南省玉溪市红塔区玉兴街道红塔大道66号",
    id_number="810000199005120039",
    issuer="玉溪市公安局红塔分局",
    valid_from=date(2022, 6, 1),
    valid_to=date(2027, 6, 1),
    card_type="hmt_permit",
    pass_number="H10293847",
    issue_count="02",
)
MARTIN_OLD = IdentityCard(
    name="马丁",
    sex="男",
    ethnicity="",
    birth_date=date(1979, 11, 2),
    address="",
    id_number="CAN530079110201",
    issuer="1500",
    valid_from=date(2016, 8, 20),
    valid_to=date(2026, 8, 20),
    card_type="foreign_old",
    english_name="MARTIN, PETER JAMES",
    nationality="CAN",
)
ANNA_2023 = IdentityCard(
    name="安娜",
    sex="女",
    ethnicity="",
    birth_date=date(1985, 3, 15),
    address="",
    id_number="931124198503150011",
    issuer="国家移民管理局",
    valid_from=date(2024, 1, 10),
    valid_to=date(2034, 1, 10),
    card_type="foreign_2023",
    english_name="SCHMIDT ANNA MARIA",
    nationality="DEU",
)

# Cards with a demo key, in key order: elderly, senior, young.
DEMO_CARDS: tuple[IdentityCard, ...] = (WANG_XIUYING, LI_JIANGUO, ZHAO_XIAOYU)
ALL_CARDS: tuple[IdentityCard, ...] = (*DEMO_CARDS, CHAN_KAMING, MARTIN_OLD, ANNA_2023)
