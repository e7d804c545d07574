"""One 业务大比武 in the demo district (``mofan demo``): 区委政法委 runs it for the learners of its organ (the
accounts the learning step made). A preliminary of two heats three weeks ago (every learner, 10 questions), its
qualifiers chosen under a per-unit quota and a minimum score, and a live final of the qualifiers the day after
(5 questions, 20 seconds each) — closed, so the competition is finished and its advancers are a figure.

Writes go through ``contests.services`` with the demo secretary as the organiser and each learner as the
contestant; the step is idempotent (a second run finds the competition and adds nothing).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from mofan.accounts import services as account_services
from mofan.accounts.models import Membership, User
from mofan.accounts.permissions import clear_cache
from mofan.accounts.roles import ROLE_ACTIONS, Action, Role
from mofan.contests import services
from mofan.contests.models import Competition, CompetitionKind, Entry, RoundKind, RoundQuestion
from mofan.demo.district import DemoDistrict
from mofan.demo.registry import demo_step
from mofan.questions.models import Question, QuestionBank
from mofan.questions.services import bank_create, question_create

ORGAN_KEY = "zfw"
NAME = "2026年度政法业务大比武"
BANK = "政法业务大比武题库"

# (qtype, stem, options, answers)
QUESTIONS: list[tuple[str, str, list[str], list[Any]]] = [
    ("single", "行政机关作出责令停产停业、吊销许可证件等行政处罚决定前，应当告知当事人有权要求：",
     ["听证", "复议", "调解", "仲裁"], ["听证"]),
    ("single", "根据《行政处罚法》，违法行为在几年内未被发现的，一般不再给予行政处罚？",
     ["一年", "二年", "三年", "五年"], ["二年"]),
    ("single", "公民、法人或者其他组织申请行政复议，一般应当自知道该行政行为之日起多少日内提出？",
     ["十五日", "三十日", "六十日", "九十日"], ["六十日"]),
    ("single", "人民调解委员会调解民间纠纷，应当坚持的原则不包括：",
     ["自愿平等", "不违背法律法规和国家政策", "尊重当事人权利", "调解前置强制进行"], ["调解前置强制进行"]),
    ("single", "基层社会治理中，“枫桥经验”强调的核心是：",
     ["矛盾不上交，就地化解", "一律上报上级处理", "以罚代管", "只登记不处置"], ["矛盾不上交，就地化解"]),
    ("single", "信访事项应当自受理之日起多少日内办结？", ["三十日", "六十日", "九十日", "一百二十日"], ["六十日"]),
    ("multiple", "行政执法“三项制度”包括：",
     ["行政执法公示制度", "执法全过程记录制度", "重大执法决定法制审核制度", "执法人员轮岗制度"],
     ["行政执法公示制度", "执法全过程记录制度", "重大执法决定法制审核制度"]),
    ("multiple", "下列属于行政处罚种类的有：", ["警告、通报批评", "罚款、没收违法所得", "行政拘留", "记过处分"],
     ["警告、通报批评", "罚款、没收违法所得", "行政拘留"]),
    ("multiple", "网格员日常走访中发现以下哪些情况应及时上报？",
     ["邻里纠纷有激化苗头", "独居老人长期无人照看", "楼道堆放易燃杂物", "居民家中更换家具"],
     ["邻里纠纷有激化苗头", "独居老人长期无人照看", "楼道堆放易燃杂物"]),
    ("multiple", "人民调解协议书可以载明的事项包括：",
     ["当事人的基本情况", "纠纷的主要事实、争议事项", "当事人达成调解协议的内容", "调解员的个人收入"],
     ["当事人的基本情况", "纠纷的主要事实、争议事项", "当事人达成调解协议的内容"]),
    ("judge", "行政执法人员执法时，应当主动出示执法证件。", ["对", "错"], ["对"]),
    ("judge", "经人民调解委员会调解达成的调解协议，不具有法律约束力。", ["对", "错"], ["错"]),
    ("judge", "对当事人的同一个违法行为，不得给予两次以上罚款的行政处罚。", ["对", "错"], ["对"]),
    ("judge", "行政复议期间，行政行为一律停止执行。", ["对", "错"], ["错"]),
    ("judge", "社会治理中心受理群众诉求后，应当按时限分流交办并跟踪办理结果。", ["对", "错"], ["对"]),
    ("fill", "我国的根本大法是______。", [], [["宪法", "中华人民共和国宪法"]]),
    ("fill", "行政处罚的种类和设定，由______规定。", [], [["法律"]]),
    ("fill", "“枫桥经验”发源于浙江省______市。", [], [["诸暨", "诸暨市"]]),
    ("fill", "调解民间纠纷，不收取任何______。", [], [["费用"]]),
    ("single", "“三治融合”是指自治、法治和：", ["德治", "共治", "善治", "网治"], ["德治"]),
]


def _organiser(district: DemoDistrict) -> User:
    secretary = district.accounts["secretary"]
    organ = district.units[ORGAN_KEY]
    if not Membership.objects.filter(user=secretary, unit=organ, role=Role.SECRETARY).exists():
        account_services.membership_grant(actor=None, user=secretary, unit=organ, role=Role.SECRETARY)
        clear_cache(secretary)
    return secretary


def _bank(organiser: User, district: DemoDistrict) -> list[Question]:
    organ = district.units[ORGAN_KEY]
    bank = QuestionBank.objects.filter(unit=organ, name=BANK).first() or bank_create(actor=organiser, unit=organ,
                                                                                     name=BANK)
    have = {q.stem: q for q in Question.objects.filter(bank=bank)}
    return [have.get(stem) or question_create(actor=organiser, bank=bank, qtype=qtype, stem=stem, options=options,
                                              answers=answers, tags=["政法业务"], source="大比武命题组")
            for qtype, stem, options, answers in QUESTIONS]


def _response(rq: RoundQuestion, right: bool) -> Any:
    question = rq.question
    if right:
        if question.qtype == "multiple":
            return list(question.answers)
        if question.qtype == "fill":
            return [accepted[0] for accepted in question.answers]
        return question.answers[0]
    if question.qtype == "fill":
        return ["不知道"]
    wrong = [o for o in question.options if o not in question.answers]
    return [wrong[0]] if question.qtype == "multiple" else wrong[0]


@demo_step(order=430, name="contests")
def contests_demo(district: DemoDistrict) -> str:
    organ = district.units[ORGAN_KEY]
    if Competition.objects.filter(unit=organ, name=NAME).exists():
        return "already there"
    organiser = _organiser(district)
    learner_roles = [role for role, actions in ROLE_ACTIONS.items() if Action.LEARN in actions]
    learners = list(User.objects.filter(
        is_active=True, person__unit__path__startswith=organ.path,
        pk__in=Membership.objects.filter(role__in=learner_roles).values("user_id"))
        .exclude(pk=organiser.pk).select_related("person__unit").order_by("pk"))
    if len(learners) < 4:
        return "skipped: fewer than 4 learners in the organ"
    rng = district.rng("contests")
    questions = _bank(organiser, district)
    now = timezone.localtime(timezone.now()).replace(second=0, microsecond=0)
    day = now - dt.timedelta(days=21)
    competition = services.competition_create(actor=organiser, unit=organ, name=NAME, kind=CompetitionKind.CONTEST,
                                              team_best_k=3)
    heats = services.round_create(
        actor=organiser, competition=competition, name="预赛", starts_at=day.replace(hour=9, minute=0),
        ends_at=day.replace(hour=17, minute=0), questions_per_contestant=10, qualify_top=8, per_unit_quota=3,
        min_score=Decimal(60))
    morning = services.heat_create(actor=organiser, round=heats, name="第一场（上午）",
                                   starts_at=day.replace(hour=9, minute=0), ends_at=day.replace(hour=10, minute=0))
    afternoon = services.heat_create(actor=organiser, round=heats, name="第二场（下午）",
                                     starts_at=day.replace(hour=15, minute=0), ends_at=day.replace(hour=16, minute=0))
    services.round_set_questions(actor=organiser, round=heats, questions=rng.sample(questions[:15], 10), points=Decimal(10))
    half = len(learners) // 2
    services.enrol(actor=organiser, round=heats, users=learners[:half], heat=morning)
    services.enrol(actor=organiser, round=heats, users=learners[half:], heat=afternoon)
    final = services.round_create(
        actor=organiser, competition=competition, name="决赛（现场赛）", kind=RoundKind.LIVE,
        starts_at=(day + dt.timedelta(days=1)).replace(hour=14, minute=30),
        ends_at=(day + dt.timedelta(days=1)).replace(hour=16, minute=0), questions_per_contestant=5,
        seconds_per_question=20)
    services.round_set_questions(actor=organiser, round=final, questions=questions[15:], points=Decimal(20))

    services.round_open(actor=organiser, round=heats)
    rqs = list(RoundQuestion.objects.filter(round=heats).select_related("question").order_by("order"))
    skill = {u.pk: rng.uniform(0.45, 0.95) for u in learners}
    answers = 0
    for entry in Entry.objects.filter(round=heats).select_related("heat", "user").order_by("pk"):
        moment = entry.heat.starts_at + dt.timedelta(minutes=rng.randint(0, 10)) if entry.heat else heats.starts_at
        services.entry_start(actor=entry.user, entry=entry, now=moment)
        for rq in rqs:
            moment += dt.timedelta(seconds=rng.randint(15, 75))
            services.answer_submit(actor=entry.user, entry=entry, round_question=rq,
                                   response=_response(rq, rng.random() < skill[entry.user_id]), now=moment)
            answers += 1
    services.round_close(actor=organiser, round=heats)
    qualifiers = services.qualify(actor=organiser, round=heats, now=heats.ends_at)

    services.round_open(actor=organiser, round=final)
    final_rqs = list(RoundQuestion.objects.filter(round=final).select_related("question").order_by("order"))
    finalists = list(Entry.objects.filter(round=final).select_related("user").order_by("pk"))
    moment = final.starts_at
    for rq in final_rqs:
        services.live_open_question(actor=organiser, round=final, round_question=rq, now=moment)
        for entry in finalists:
            services.answer_submit(actor=entry.user, entry=entry, round_question=rq,
                                   response=_response(rq, rng.random() < skill[entry.user_id]),
                                   now=moment + dt.timedelta(seconds=rng.randint(3, 19)))
            answers += 1
        moment += dt.timedelta(minutes=2)
    services.round_close(actor=organiser, round=final)
    return f"1 competition, {len(learners)} contestants, {len(qualifiers)} finalists, {answers} answers"
