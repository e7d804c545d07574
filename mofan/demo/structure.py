"""The shape of the demo district, as data: 模范区 with its organs, service points, towns and villages.

Modelled on the three experience-exchange materials of the seed document: the 区委政法委 and its party
branch, the three-level social governance centre with its windows, the multi-party dispute-resolution
centre, the 区市场监督管理局 with its 基层市场所, party branches and consumer-rights stations, and the
区税务局 with its party committee and 税务分局. All names are invented.

A node is ``U(key, name, kind, staff=[...], children=[...])``; ``staff`` lists the posts filled by one
generated person each (``S(post, party_share, account=...)``). ``key`` is how code finds the unit later
(``district.units["smj.dept.chengguan"]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mofan.org.models import UnitKind

DISTRICT_NAME = "模范区"
# GB/T 2260-style code: 15 (内蒙古) 09 (乌兰察布-like prefecture) 99 (an invented county-level code).
DISTRICT_CODE = "150999"


@dataclass(frozen=True)
class S:
    """One post, filled by one person. ``party`` is the chance that the holder is a party member."""

    post: str
    party: float = 0.45
    account: str = ""


@dataclass
class U:
    key: str
    name: str
    kind: str
    code: str = ""
    staff: list[S] = field(default_factory=list)
    children: list[U] = field(default_factory=list)
    mongolian_share: float = 0.08


def staff(*posts: tuple[str, float, int]) -> list[S]:
    """``staff(("科员", 0.3, 3))``: three 科员, each a party member with probability 0.4."""
    return [S(post, party) for post, party, count in posts for _ in range(count)]


def _branch(key: str, name: str, groups: int = 0) -> U:
    return U(key, name, UnitKind.PARTY_BRANCH,
             children=[U(f"{key}.group{i + 1}", f"第{'一二三四'[i]}党小组", UnitKind.PARTY_GROUP) for i in range(groups)])


def organs() -> list[U]:
    """The district's organs and departments, each with its party organisation."""
    return [
        U("qw", "区委", UnitKind.ORGAN, staff=[S("区委书记", 1), S("区委副书记", 1), S("区委常委", 1)], children=[
            U("qw.office", "区委办公室", UnitKind.DEPARTMENT, staff=[S("主任", 1), *staff(("科员", 0.4, 2))]),
            U("qw.org", "区委组织部", UnitKind.DEPARTMENT,
              staff=[S("部长", 1), S("组织科科长", 1), *staff(("科员", 0.6, 2))]),
            U("qw.publicity", "区委宣传部", UnitKind.DEPARTMENT, staff=[S("部长", 1), *staff(("科员", 0.4, 2))]),
            _branch("qw.party", "区委机关党支部"),
        ]),
        U("zfw", "区委政法委", UnitKind.ORGAN,
          staff=[S("政法委书记", 1), S("常务副书记兼党支部书记", 1, account="secretary"), S("副书记", 1)],
          children=[
              U("zfw.office", "办公室", UnitKind.DEPARTMENT,
                staff=[S("办公室主任", 1, account="cadre"), S("科员", 0.3), S("宣传信息员", 0.3)]),
              U("zfw.zongzhi", "综治科", UnitKind.DEPARTMENT,
                staff=[S("科长", 1), S("科员", 1, account="party_member"), S("科员", 0.3), S("科员", 0.3)]),
              U("zfw.supervision", "执法监督科", UnitKind.DEPARTMENT, staff=[S("科长", 1), S("科员", 0.3)]),
              _branch("zfw.party", "区委政法委党支部", groups=2),
          ]),
        U("gov", "区政府办", UnitKind.ORGAN, staff=[S("主任", 1), S("副主任", 1)], children=[
            U("gov.egov", "电子政务科", UnitKind.DEPARTMENT, staff=[
                S("系统管理员", 0.3, account="system_admin"), S("安全管理员", 0.3, account="security_admin"),
                S("审计管理员", 0.3, account="audit_admin"), S("科长", 1),
            ]),
            U("gov.secretariat", "秘书科", UnitKind.DEPARTMENT, staff=staff(("科员", 0.3, 3))),
            _branch("gov.party", "区政府办党支部"),
        ]),
        U("sfj", "区司法局", UnitKind.ORGAN, staff=[S("局长", 1), S("副局长", 1)], children=[
            U("sfj.office", "办公室", UnitKind.DEPARTMENT, staff=staff(("科员", 0.3, 2))),
            U("sfj.mediation", "人民参与和促进法治科", UnitKind.DEPARTMENT, staff=[S("科长", 1), S("科员", 0.3)]),
            U("sfj.legal", "公共法律服务科", UnitKind.DEPARTMENT, staff=[S("科长", 1), S("法律援助律师", 0.3)]),
            _branch("sfj.party", "区司法局党支部"),
        ]),
        U("xfj", "区信访局", UnitKind.ORGAN, staff=[S("局长", 1)], children=[
            U("xfj.reception", "来访接待科", UnitKind.DEPARTMENT, staff=[S("科长", 1), *staff(("接访员", 0.3, 2))]),
            U("xfj.supervision", "督查督办科", UnitKind.DEPARTMENT, staff=[S("科长", 1), S("科员", 0.3)]),
            _branch("xfj.party", "区信访局党支部"),
        ]),
        U("gaj", "公安分局", UnitKind.ORGAN, staff=[S("局长", 1), S("政委", 1)], children=[
            U("gaj.command", "指挥中心", UnitKind.DEPARTMENT, staff=[S("主任", 1), *staff(("民警", 0.3, 2))]),
            U("gaj.security", "治安管理大队", UnitKind.DEPARTMENT, staff=[S("大队长", 1), *staff(("民警", 0.3, 2))]),
            U("gaj.chengguan", "城关派出所", UnitKind.DEPARTMENT, staff=[S("所长", 1), *staff(("民警", 0.3, 3))]),
            U("gaj.xinqu", "新区派出所", UnitKind.DEPARTMENT, staff=[S("所长", 1), *staff(("民警", 0.3, 2))]),
            U("gaj.party", "公安分局党委", UnitKind.PARTY_COMMITTEE, children=[
                _branch("gaj.party.organ", "机关党支部"), _branch("gaj.party.stations", "派出所党支部"),
            ]),
        ]),
        U("jcy", "区人民检察院", UnitKind.ORGAN, staff=[S("检察长", 1)], children=[
            U("jcy.first", "第一检察部", UnitKind.DEPARTMENT, staff=[S("主任", 1), *staff(("检察官", 0.4, 2))]),
            U("jcy.second", "第二检察部", UnitKind.DEPARTMENT, staff=[S("主任", 1), S("检察官", 0.4)]),
            U("jcy.general", "综合业务部", UnitKind.DEPARTMENT, staff=staff(("检察官助理", 0.3, 2))),
            _branch("jcy.party", "区人民检察院机关党支部"),
        ]),
        U("fy", "区人民法院", UnitKind.ORGAN, staff=[S("院长", 1), S("副院长", 1)], children=[
            U("fy.filing", "立案庭", UnitKind.DEPARTMENT, staff=[S("庭长", 1), S("法官助理", 0.3)]),
            U("fy.civil", "民事审判庭", UnitKind.DEPARTMENT, staff=[S("庭长", 1), *staff(("法官", 0.4, 2))]),
            U("fy.criminal", "刑事审判庭", UnitKind.DEPARTMENT, staff=[S("庭长", 1), S("法官", 0.4)]),
            U("fy.enforcement", "执行局", UnitKind.DEPARTMENT, staff=[S("局长", 1), *staff(("执行员", 0.3, 2))]),
            U("fy.service", "诉讼服务中心", UnitKind.DEPARTMENT, staff=[S("主任", 1), S("书记员", 0.3)], children=[
                U("fy.prelitigation", "诉前调解工作室", UnitKind.MEDIATION_ORG, staff=[S("特邀调解员", 0.3)]),
            ]),
            U("fy.party", "区人民法院机关党总支", UnitKind.PARTY_GENERAL_BRANCH, children=[
                _branch("fy.party.trial", "审判党支部"), _branch("fy.party.enforcement", "执行党支部"),
            ]),
        ]),
        market_supervision(),
        taxation(),
    ]


MARKET_OFFICES = [
    # key, name, stations (markets and supermarkets), has a party branch
    ("chengguan", "城关市场监督管理所", ["新华农贸市场", "万家福超市"], True),
    ("xinhua", "新华市场监督管理所", ["百货大楼", "惠民菜市场"], True),
    ("baiquan", "白泉市场监督管理所", ["白泉集贸市场"], True),
    ("wulan", "乌兰市场监督管理所", ["乌兰牧民市场"], False),
]


def market_supervision() -> U:
    """区市场监督管理局: 基层市场所 with consumer-rights stations, and a 党总支 with branches in the 所."""
    offices = [
        U(f"smj.dept.{key}", name, UnitKind.DEPARTMENT, staff=[S("所长", 1), S("副所长", 0.6), S("科员", 0.3)],
          children=[U(f"smj.station.{key}.{i}", f"{market}消费维权服务站", UnitKind.STATION)
                    for i, market in enumerate(stations)])
        for key, name, stations, _ in MARKET_OFFICES
    ]
    offices[0].staff[2] = S("科员", 0.3, account="department_handler")
    branches = [_branch("smj.party.organ", "机关党支部")] + [
        _branch(f"smj.party.{key}", f"{name}党支部") for key, name, _, has_branch in MARKET_OFFICES if has_branch
    ]
    return U("smj", "区市场监督管理局", UnitKind.ORGAN, staff=[S("局长", 1), S("副局长", 1)], children=[
        U("smj.office", "办公室", UnitKind.DEPARTMENT, staff=[S("主任", 1), S("科员", 0.3)]),
        U("smj.registration", "登记注册科", UnitKind.DEPARTMENT, staff=[S("科长", 1), S("科员", 0.3)]),
        U("smj.consumer", "消费者权益保护科", UnitKind.DEPARTMENT, staff=[S("科长", 1), S("科员", 0.3)]),
        U("smj.approval", "行政审批窗口", UnitKind.WINDOW, staff=[S("党员先锋岗", 1), S("窗口工作人员", 0.3)]),
        *offices,
        U("smj.party", "区市场监督管理局机关党总支", UnitKind.PARTY_GENERAL_BRANCH, children=branches),
    ])


def taxation() -> U:
    """区税务局: a 党委 with branches, and three 税务分局 (the first is the service window)."""
    bureaus = [("first", "第一税务分局"), ("second", "第二税务分局"), ("third", "第三税务分局")]
    return U("swj", "区税务局", UnitKind.ORGAN, staff=[S("局长", 1), S("党委委员、副局长", 1)], children=[
        U("swj.office", "办公室", UnitKind.DEPARTMENT, staff=[S("主任", 1), S("科员", 0.3)]),
        U("swj.service", "纳税服务科", UnitKind.DEPARTMENT, staff=[S("科长", 1), S("科员", 0.3)]),
        U("swj.collection", "征收管理科", UnitKind.DEPARTMENT, staff=[S("科长", 1), S("科员", 0.3)]),
        *[
            U(f"swj.{key}", name, UnitKind.DEPARTMENT,
              staff=[S("分局长", 1), *staff(("税务干部", 0.35, 3 if key == "first" else 2))],
              children=[U("swj.first.hall", "办税服务厅", UnitKind.WINDOW, staff=[S("窗口工作人员", 0.3)])]
              if key == "first" else [])
            for key, name in bureaus
        ],
        U("swj.party", "区税务局党委", UnitKind.PARTY_COMMITTEE, children=[
            _branch("swj.party.organ1", "机关第一党支部"), _branch("swj.party.organ2", "机关第二党支部"),
            *[_branch(f"swj.party.{key}", f"{name}党支部") for key, name in bureaus],
        ]),
    ])


def service_points() -> list[U]:
    """The district 社会治理中心 with its windows, and the 多元化解 (dispute-resolution) centre."""
    return [
        U("centre", "区社会治理中心", UnitKind.CENTRE,
          staff=[S("中心主任", 1), S("副主任", 0.8), *staff(("受理员", 0.4, 3))], children=[
              U("centre.labour", "劳动纠纷调解窗口", UnitKind.WINDOW, staff=[S("调解员", 0.4)]),
              U("centre.legal", "综合法律服务窗口", UnitKind.WINDOW, staff=[S("律师", 0.3)]),
              U("centre.psychology", "心理咨询窗口", UnitKind.WINDOW, staff=[S("心理咨询师", 0.3)]),
              U("centre.women", "妇女儿童维权工作站", UnitKind.STATION, staff=[S("维权专干", 0.5)]),
              U("mediation", "区多元化解中心", UnitKind.MEDIATION_ORG,
                staff=[S("主任", 1), S("特邀调解员", 0.4, account="mediator"), *staff(("特邀调解员", 0.4, 3))]),
              U("mediation.people", "区人民调解委员会", UnitKind.MEDIATION_ORG, staff=[S("人民调解员", 0.5)]),
              U("mediation.family", "婚姻家庭纠纷调解工作室", UnitKind.MEDIATION_ORG, staff=[S("调解员", 0.4)]),
              U("mediation.property", "物业纠纷调解工作室", UnitKind.MEDIATION_ORG, staff=[S("调解员", 0.3)]),
          ]),
    ]


@dataclass(frozen=True)
class TownSpec:
    key: str
    name: str
    code: str
    village_kind: str  # "社区", "村" or "嘎查": picks the name pool and the posts


TOWNS = [
    TownSpec("xinhua", "新华街道", "150999001", "社区"),
    TownSpec("qiaoxi", "桥西街道", "150999002", "社区"),
    TownSpec("qianjin", "前进街道", "150999003", "社区"),
    TownSpec("baiquan", "白泉镇", "150999101", "村"),
    TownSpec("sanchakou", "三岔口镇", "150999102", "村"),
    TownSpec("tuchengzi", "土城子镇", "150999103", "村"),
    TownSpec("wulan", "乌兰苏木", "150999201", "嘎查"),
    TownSpec("bayintala", "巴音塔拉苏木", "150999202", "嘎查"),
]

VILLAGE_NAMES = {
    "社区": ["和平", "幸福", "光明", "团结", "文化", "建设", "迎宾", "朝阳", "春晖", "锦绣", "康乐", "民主", "育才",
           "怡景", "明珠", "滨河", "新村", "北苑", "南苑", "东城", "西城", "站前", "园林", "福安", "金桥", "兴盛",
           "书香", "长青", "泰和", "安居"],
    "村": ["东营子", "西湾", "王家", "李家堡", "南沟", "北梁", "大营", "小营", "马家", "红旗", "新胜", "二道河",
          "三号地", "石门", "榆树湾", "柳树沟", "韩家营", "高家窑", "杨树坡", "前房子", "后房子", "庙梁", "黄花滩",
          "大西沟", "水泉", "河南", "五号", "十八台", "古城", "沙圪堵"],
    "嘎查": ["巴彦", "乌兰哈达", "查干淖尔", "宝力格", "哈达图", "塔林", "额尔敦", "阿拉坦", "希拉穆仁", "锡林",
           "图古日格", "敖包图", "呼和", "白音宝力格", "准查干", "巴音花", "温都尔", "包日汉", "伊和", "赛罕"],
}

TOWN_HEADS = {"社区": "街道办事处主任", "村": "镇长", "嘎查": "苏木达"}
VILLAGE_HEADS = {"社区": "社区居委会主任", "村": "村委会主任", "嘎查": "嘎查达"}
