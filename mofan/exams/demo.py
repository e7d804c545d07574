"""Demo tests (order 420): two tests of 区委政法委 with a bank of questions written for the demo.

- "行政执法与税收业务测试" (closed three weeks ago): every learner of the organ took it once; short answers were
  marked by the branch secretary (shuji), a few are left in the marking queue;
- "政策法规知识测试" (open now for a month, 20 minutes, feedback on submitting): about half the learners have
  taken it; the demo's party member (dangyuan) and cadre (ganbu) have not, so the browser journey can take it
  and the secretary's "who has not finished" list has names in it.

The demo secretary's membership is on the organ's party branch, while the organ's people sit in its offices;
the branch secretary organises the organ's study, so this step grants them the secretary's role on the organ
(区委政法委) itself. Idempotent: a second run finds the tests and adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from mofan.accounts import services as account_services
from mofan.accounts.models import Membership
from mofan.accounts.roles import Role
from mofan.demo.district import DemoDistrict
from mofan.demo.registry import demo_step
from mofan.exams import selectors, services
from mofan.exams.models import AttemptItem, Feedback, Paper
from mofan.questions.models import Question, QuestionBank
from mofan.questions.services import bank_create, question_create

BUSINESS = "行政执法与税收业务测试"
POLICY = "政策法规知识测试"

# (type, stem, options, answers, tag, difficulty, explanation)
Q = tuple[str, str, list[str], list[Any], str, int, str]

BUSINESS_QUESTIONS: list[Q] = [
    ("single", "增值税一般纳税人销售货物，适用的基本税率为（ ）。", ["13%", "9%", "6%", "17%"], ["13%"], "税收业务", 2,
     "自2019年4月1日起，增值税一般纳税人销售货物的基本税率为13%。"),
    ("single", "个人所得税综合所得的基本减除费用标准为每年（ ）元。", ["60000", "36000", "42000", "50000"], ["60000"],
     "税收业务", 2, "居民个人综合所得以每年收入额减除费用六万元后的余额为应纳税所得额。"),
    ("single", "纳税人未按照规定期限缴纳税款的，税务机关除责令限期缴纳外，从滞纳税款之日起按日加收滞纳税款（ ）的滞纳金。",
     ["万分之五", "万分之三", "千分之一", "千分之五"], ["万分之五"], "税收业务", 3, "见《税收征收管理法》第三十二条。"),
    ("single", "下列选项中，不属于行政处罚种类的是（ ）。", ["记过", "警告", "罚款", "没收违法所得"], ["记过"], "行政执法", 3,
     "记过是政务处分或纪律处分，不是行政处罚。"),
    ("single", "行政机关作出较大数额罚款决定之前，应当告知当事人有要求（ ）的权利。", ["听证", "复核", "申诉", "仲裁"], ["听证"],
     "行政执法", 2, "较大数额罚款属于应当告知听证权利的情形。"),
    ("multiple", "下列属于我国现行税种的有（ ）。", ["增值税", "消费税", "企业所得税", "营业税"], ["增值税", "消费税", "企业所得税"],
     "税收业务", 3, "营业税已于2016年全面改征增值税。"),
    ("multiple", "行政执法“三项制度”包括（ ）。", ["行政执法公示制度", "执法全过程记录制度", "重大执法决定法制审核制度", "执法人员轮岗制度"],
     ["行政执法公示制度", "执法全过程记录制度", "重大执法决定法制审核制度"], "行政执法", 3, ""),
    ("multiple", "下列属于纳税人依法享有的权利的有（ ）。", ["知情权", "保密权", "依法申请减税、免税、退税的权利", "拒绝一切税务检查的权利"],
     ["知情权", "保密权", "依法申请减税、免税、退税的权利"], "税收业务", 3, "纳税人应当接受税务机关依法进行的税务检查。"),
    ("judge", "税务机关派出的人员进行税务检查时，应当出示税务检查证和税务检查通知书。", [], ["对"], "税收业务", 2, ""),
    ("judge", "对当事人的同一个违法行为，可以给予两次以上罚款的行政处罚。", [], ["错"], "行政执法", 2, "“一事不再罚”原则。"),
    ("judge", "行政机关可以在规章中设定限制人身自由的行政处罚。", [], ["错"], "行政执法", 3, "限制人身自由的行政处罚只能由法律设定。"),
    ("fill", "纳税人应当自领取营业执照之日起（ ）日内申报办理税务登记。", [], [["30", "三十"]], "税收业务", 3,
     "见《税收征收管理法》第十五条。"),
    ("short", "简述行政执法“三项制度”的主要内容及其意义。", [],
     ["行政执法公示制度、执法全过程记录制度、重大执法决定法制审核制度；促进严格规范公正文明执法，保障和监督行政机关依法履职。"],
     "行政执法", 4, ""),
    ("short", "结合本职工作，谈谈如何做到依法行政。", [],
     ["法定职责必须为、法无授权不可为；程序正当、公开透明；权责统一、接受监督；结合岗位举例。"], "行政执法", 4, ""),
]

POLICY_QUESTIONS: list[Q] = [
    ("single", "我国的根本大法是（ ）。", ["宪法", "刑法", "民法典", "行政诉讼法"], ["宪法"], "宪法与法律", 1, ""),
    ("single", "国家宪法日是每年的（ ）。", ["12月4日", "4月15日", "3月12日", "5月1日"], ["12月4日"], "宪法与法律", 1, ""),
    ("single", "《中华人民共和国民法典》自（ ）起施行。", ["2021年1月1日", "2020年5月28日", "2020年1月1日", "2022年1月1日"],
     ["2021年1月1日"], "宪法与法律", 2, "民法典于2020年5月28日通过，2021年1月1日起施行。"),
    ("single", "公民、法人或者其他组织直接向人民法院提起行政诉讼的，一般应当自知道或者应当知道作出行政行为之日起（ ）内提出。",
     ["六个月", "三个月", "一年", "两年"], ["六个月"], "宪法与法律", 3, "见《行政诉讼法》第四十六条。"),
    ("single", "党的最高领导机关是（ ）。", ["党的全国代表大会和它所产生的中央委员会", "中央政治局", "中央书记处", "中央纪律检查委员会"],
     ["党的全国代表大会和它所产生的中央委员会"], "党纪党规", 2, ""),
    ("single", "党的纪律处分共有（ ）种。", ["五", "四", "三", "六"], ["五"], "党纪党规", 2,
     "警告、严重警告、撤销党内职务、留党察看、开除党籍。"),
    ("single", "预备党员的预备期为（ ）。", ["一年", "半年", "两年", "三个月"], ["一年"], "党纪党规", 1, ""),
    ("multiple", "《中国共产党纪律处分条例》规定的党的纪律包括（ ）。", ["政治纪律", "组织纪律", "廉洁纪律", "群众纪律", "商业纪律"],
     ["政治纪律", "组织纪律", "廉洁纪律", "群众纪律"], "党纪党规", 3, "六项纪律：政治、组织、廉洁、群众、工作、生活纪律。"),
    ("multiple", "下列属于对党员的纪律处分的有（ ）。", ["警告", "严重警告", "撤销党内职务", "留党察看", "罚款"],
     ["警告", "严重警告", "撤销党内职务", "留党察看"], "党纪党规", 3, "罚款不是党纪处分。"),
    ("judge", "宪法是国家的根本法，具有最高的法律效力。", [], ["对"], "宪法与法律", 1, ""),
    ("judge", "预备党员享有表决权、选举权和被选举权。", [], ["错"], "党纪党规", 2, "预备党员没有表决权、选举权和被选举权。"),
    ("judge", "公民对行政机关作出的具体行政行为不服，可以依法申请行政复议。", [], ["对"], "宪法与法律", 1, ""),
    ("fill", "我国现行宪法是（ ）年通过的。", [], [["1982", "1982年"]], "宪法与法律", 2, ""),
    ("fill", "党的基层组织是党在社会基层组织中的（ ）堡垒。", [], [["战斗"]], "党纪党规", 2, ""),
    ("fill", "全面依法治国的总目标是建设中国特色社会主义（ ）体系，建设社会主义法治国家。", [], [["法治"]], "宪法与法律", 2, ""),
    ("multiple", "下列属于公民基本权利的有（ ）。", ["选举权和被选举权", "宗教信仰自由", "受教育的权利", "依法纳税"],
     ["选举权和被选举权", "宗教信仰自由", "受教育的权利"], "宪法与法律", 3, "依法纳税是公民的基本义务。"),
]

SHORT_ANSWERS = [
    "三项制度是公示、全过程记录和法制审核，让执法看得见、可追溯、有把关。",
    "我在窗口岗位上，坚持按清单办事，不越权，不推诿，文书按程序送达。",
    "依法行政就是按法律办事，做好本职工作。",
    "执法前先查依据，执法中全程记录，决定前法制审核，决定后及时公示。",
]


def _bank(actor: Any, unit: Any, name: str, questions: list[Q]) -> list[Question]:
    bank = QuestionBank.objects.filter(unit=unit, name=name).first() or bank_create(actor=actor, unit=unit, name=name)
    out = []
    for qtype, stem, options, answers, tag, difficulty, explanation in questions:
        existing = Question.objects.filter(bank=bank, stem=stem).first()
        out.append(existing or question_create(actor=actor, bank=bank, qtype=qtype, stem=stem, options=options,
                                               answers=answers, tags=[tag], difficulty=difficulty,
                                               source="模范示范数据", explanation=explanation))
    return out


def _response(item: AttemptItem, right: bool, rng: random.Random) -> Any:
    question = item.question
    if question.qtype == "short":
        return rng.choice(SHORT_ANSWERS)
    if question.qtype == "fill":
        return [blank[0] if right else "不清楚" for blank in question.answers]
    if question.qtype == "multiple":
        if right:
            return list(question.answers)
        return question.answers[:1] if rng.random() < 0.5 else [item.option_order[-1], item.option_order[0]]
    if right:
        return question.answers[0]
    return rng.choice([o for o in item.option_order if o != question.answers[0]])


def _sit(learner: Any, paper: Paper, start: dt.datetime, skill: float, rng: random.Random) -> Any:
    attempt = services.attempt_start(actor=learner, paper=paper, now=start, rng=rng)
    moment = start
    for item in attempt.items.select_related("question"):
        seconds = rng.randint(8, 70) if item.question.qtype != "short" else rng.randint(120, 400)
        moment += dt.timedelta(seconds=seconds)
        services.answer_save(actor=learner, attempt=attempt, question_id=item.question_id,
                             response=_response(item, rng.random() < skill, rng), seconds=seconds, now=moment)
    return services.attempt_submit(actor=learner, attempt=attempt, now=moment + dt.timedelta(seconds=30))


@demo_step(order=420, name="exams")
def exams_demo(district: DemoDistrict) -> str:
    organ = district.units["zfw"]
    if Paper.objects.filter(unit=organ, title__in=[BUSINESS, POLICY]).exists():
        return "already there"
    secretary = district.accounts["secretary"]
    if not Membership.objects.filter(user=secretary, unit=organ, role=Role.SECRETARY).exists():
        account_services.membership_grant(actor=None, user=secretary, unit=organ, role=Role.SECRETARY)
        from mofan.accounts.permissions import clear_cache

        clear_cache(secretary)
    rng = district.rng("exams")
    now = timezone.now()
    business = _bank(secretary, organ, "行政执法与税收业务题库", BUSINESS_QUESTIONS)
    policy = _bank(secretary, organ, "政策法规题库", POLICY_QUESTIONS)

    opened = now - dt.timedelta(days=30)
    test1 = services.paper_create(
        actor=secretary, unit=organ, title=BUSINESS, description="季度业务测试，检验行政执法与税收业务知识。",
        opens_at=opened, closes_at=now - dt.timedelta(days=21), time_limit_minutes=60, attempts_allowed=1,
        pass_score=Decimal(60), feedback=Feedback.AFTER_CLOSE,
        items=[services.FixedItem(q, Decimal(20) if q.qtype == "short" else Decimal(5)) for q in business])
    services.paper_publish(actor=secretary, paper=test1)
    fixed = [q for q in policy if q.qtype != "fill"][:5]
    tags = {t.name: t for q in policy for t in q.tags.all()}
    test2 = services.paper_create(
        actor=secretary, unit=organ, title=POLICY, description="学习贯彻宪法和党内法规知识测试。",
        opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=30), time_limit_minutes=20,
        attempts_allowed=1, pass_score=Decimal(60), feedback=Feedback.IMMEDIATELY,
        items=[services.FixedItem(q, Decimal(10)) for q in fixed],
        draws=[services.DrawRule(bank=policy[0].bank, count=3, points_each=Decimal(10), tag=tags["宪法与法律"]),
               services.DrawRule(bank=policy[0].bank, count=2, points_each=Decimal(10), tag=tags["党纪党规"])])
    services.paper_publish(actor=secretary, paper=test2)

    learners = list(selectors.audience(actor=secretary, paper=test1).select_related("person").order_by("pk"))
    keep_for_journey = {district.accounts["party_member"].pk, district.accounts["cadre"].pk, secretary.pk}
    sat = 0
    for n, learner in enumerate(learners):
        skill = rng.uniform(0.45, 0.95)
        _sit(learner, test1, opened + dt.timedelta(days=rng.randint(0, 8), hours=rng.randint(1, 8)), skill, rng)
        sat += 1
        if learner.pk not in keep_for_journey and n % 2 == 0:
            _sit(learner, test2, now - dt.timedelta(hours=rng.randint(2, 20)), skill, rng)
            sat += 1
    services.paper_close(actor=secretary, paper=test1, now=now)
    queue = list(selectors.marking_queue(actor=secretary, paper=test1))
    for item in queue[: max(0, len(queue) - 3)]:  # leave a few for the marking queue
        services.answer_mark(actor=secretary, item=item, score=Decimal(rng.randint(8, 19)),
                             now=test1.closes_at + dt.timedelta(days=1))
    return f"2 tests, {len(business) + len(policy)} questions, {sat} attempts by {len(learners)} learners"
