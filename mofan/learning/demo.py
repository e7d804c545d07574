"""A year of study in the demo district (``mofan demo``): learner accounts for the party members of the organs,
materials and two study plans of 区委政法委 with their sessions, ~200 issues of 天天学 answered by its members,
reading records, points under two rule versions, the reading room with its loans, and a 头雁人才 programme.

Writes go through the learning services (rules, caps, audit) with the demo secretary as the actor. Two
shortcuts keep the step fast: the learner accounts share one hash of the public demo password (hashing it 80
times costs most of a minute), and reading records of a learner are spread over the year by passing ``at``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from mofan.accounts import services as account_services
from mofan.accounts.models import Membership, User
from mofan.accounts.roles import ADMIN_ROLES, Role
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.demo.district import DEMO_PASSWORD, DemoDistrict
from mofan.demo.registry import demo_step
from mofan.learning import points, services
from mofan.learning.models import DailyIssue, PointsRuleSet
from mofan.org.models import Person, Unit, UnitKind
from mofan.questions.models import Question, QuestionBank
from mofan.questions.services import bank_create, question_create

LEARNERS = 80
ISSUES = 200
ORGAN_KEY = "zfw"  # 区委政法委 runs 天天学

MATERIALS = {
    "学习贯彻党的二十大精神": [
        ("坚持和发展新时代“枫桥经验”", "坚持和发展新时代“枫桥经验”，就是要把矛盾纠纷化解在基层、化解在萌芽状态。"
         "政法干部要走进群众、倾听群众，做到小事不出村、大事不出镇、矛盾不上交。"),
        ("更高水平的平安中国建设", "推进更高水平的平安中国建设，要健全社会治理体系，完善网格化管理、精细化服务、"
         "信息化支撑的基层治理平台，提升社会治理效能。"),
        ("全面依法治国的总目标", "全面依法治国的总目标是建设中国特色社会主义法治体系、建设社会主义法治国家。"
         "要坚持依法治国、依法执政、依法行政共同推进。"),
        ("以人民为中心的发展思想", "坚持以人民为中心，就是要把人民群众的急难愁盼作为工作的出发点和落脚点，"
         "让群众在每一件事中感受到公平正义。"),
    ],
    "政法业务知识": [
        ("人民调解法要点", "人民调解委员会调解民间纠纷，应当在当事人自愿、平等的基础上进行调解，"
         "不违背法律、法规和国家政策，尊重当事人的权利。"),
        ("信访工作条例要点", "信访工作坚持属地管理、分级负责，谁主管、谁负责，依法、及时、就地解决问题与"
         "疏导教育相结合。"),
        ("网格员工作规范", "网格员负责网格内信息采集、矛盾排查、隐患上报和政策宣传，发现问题及时上报、"
         "跟踪处置结果。"),
        ("社会治安综合治理责任制", "落实社会治安综合治理领导责任制，实行属地管理，"
         "把平安建设纳入各级领导班子和干部考核。"),
    ],
}

QUESTIONS: list[tuple[str, str, list[str], list[Any]]] = [
    ("single", "新时代“枫桥经验”强调矛盾纠纷化解在哪里？", ["基层", "上级机关", "法院"], ["基层"]),
    ("single", "人民调解应当在什么基础上进行？", ["当事人自愿、平等", "行政命令", "单方申请"], ["当事人自愿、平等"]),
    ("single", "信访工作坚持什么原则？", ["属地管理、分级负责", "一律上交", "越级处理"], ["属地管理、分级负责"]),
    ("single", "全面依法治国的总目标是建设什么？", ["中国特色社会主义法治体系", "市场体系", "教育体系"],
     ["中国特色社会主义法治体系"]),
    ("multiple", "网格员的职责包括哪些？", ["信息采集", "矛盾排查", "隐患上报", "审判案件"],
     ["信息采集", "矛盾排查", "隐患上报"]),
    ("multiple", "基层治理平台的特点有哪些？", ["网格化管理", "精细化服务", "信息化支撑", "层层上交"],
     ["网格化管理", "精细化服务", "信息化支撑"]),
    ("judge", "人民调解可以违背当事人意愿强制进行。", ["对", "错"], ["错"]),
    ("judge", "平安建设应纳入领导班子和干部考核。", ["对", "错"], ["对"]),
    ("judge", "“小事不出村、大事不出镇”是枫桥经验的体现。", ["对", "错"], ["对"]),
    ("judge", "社会治安综合治理实行属地管理。", ["对", "错"], ["对"]),
    ("fill", "坚持以____为中心的发展思想。", [], [["人民"]]),
    ("fill", "依法治国、依法执政、依法____共同推进。", [], [["行政"]]),
]

BOOKS = [
    ("习近平新时代中国特色社会主义思想学习纲要", "中共中央宣传部", "978701020"),
    ("枫桥经验：基层社会治理的中国方案", "编写组", "978751160"),
    ("人民调解实务", "编写组", "978751971"),
    ("信访工作条例释义", "编写组", "978750930"),
    ("平安中国建设读本", "编写组", "978751620"),
    ("红岩", "罗广斌 杨益言", "978702000"),
    ("平凡的世界", "路遥", "978753021"),
    ("基层治理现代化", "编写组", "978720106"),
    ("法治中国建设规划解读", "编写组", "978751972"),
    ("网格化管理实务", "编写组", "978756401"),
    ("调解员手册", "编写组", "978751973"),
    ("乡村振兴读本", "编写组", "978710912"),
    ("中国共产党简史", "编写组", "978701023"),
    ("社会治理概论", "编写组", "978730029"),
    ("民法典学习读本", "编写组", "978751974"),
    ("公文写作规范", "编写组", "978730130"),
    ("党支部工作手册", "编写组", "978751472"),
    ("数字政府建设", "编写组", "978712138"),
    ("群众工作方法", "编写组", "978751470"),
    ("廉洁从政读本", "编写组", "978751740"),
]


def _isbn(prefix9: str, n: int) -> str:
    body = f"{prefix9}{n:03d}"[:12]
    return body + services.isbn13_check_digit(body)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _learners(district: DemoDistrict) -> list[User]:
    """Accounts for up to LEARNERS party members of the organs (those of 区委政法委 first), role party_member on
    their unit. Existing accounts (the demo's role accounts) are used as they are."""
    organ = district.units[ORGAN_KEY]
    organ_paths = [u.path for u in Unit.objects.filter(parent=district.root, kind=UnitKind.ORGAN)]
    people = [p for p in Person.objects.filter(is_party_member=True, is_active=True,
                                               unit__path__startswith=district.root.path)
              .select_related("unit").order_by("id") if any(p.unit.path.startswith(o) for o in organ_paths)]
    admins = set(Membership.objects.filter(role__in=ADMIN_ROLES).values_list("user__person_id", flat=True))
    people = [p for p in people if p.pk not in admins]  # 三员分立: administrators hold no everyday role
    people.sort(key=lambda p: (not p.unit.path.startswith(organ.path), p.pk))
    people = people[:LEARNERS]
    have = {u.person_id: u for u in User.objects.filter(person__in=people)}
    password = make_password(DEMO_PASSWORD)
    now = timezone.now()
    taken = set(User.objects.filter(username__startswith="xuexi").values_list("username", flat=True))
    number = 0
    for person in people:
        if person.pk in have:
            continue
        number += 1
        while f"xuexi{number:03d}" in taken:
            number += 1
        user = User.objects.create(username=f"xuexi{number:03d}", display_name=person.name, person=person,
                                   password=password, password_changed_at=now, must_change_password=False)
        audit_record(actor=None, event=AuditEvent.USER_CREATED, target=user, unit_path=person.unit.path,
                     new={"username": user.username, "display_name": user.display_name})
        have[person.pk] = user
    for person in people:
        user = have[person.pk]
        if not Membership.objects.filter(user=user, unit=person.unit, role=Role.PARTY_MEMBER).exists():
            account_services.membership_grant(actor=None, user=user, unit=person.unit, role=Role.PARTY_MEMBER)
    return [have[p.pk] for p in people]


def _secretary(district: DemoDistrict) -> User:
    """The demo secretary (书记 of the organ's party branch) also runs the organ's learning."""
    secretary = district.accounts["secretary"]
    organ = district.units[ORGAN_KEY]
    if not Membership.objects.filter(user=secretary, unit=organ, role=Role.SECRETARY).exists():
        account_services.membership_grant(actor=None, user=secretary, unit=organ, role=Role.SECRETARY)
    return secretary


@demo_step(order=400, name="learning")
def learning_demo(district: DemoDistrict) -> str:
    organ = district.units[ORGAN_KEY]
    if DailyIssue.objects.filter(unit=organ).exists():
        return "already there"
    rng = district.rng("learning")
    today = district.today
    first_day = today - dt.timedelta(days=364)
    learners = _learners(district)
    secretary = _secretary(district)
    members = [u for u in learners if u.person is not None and u.person.unit.path.startswith(organ.path)]

    if not PointsRuleSet.objects.exists():
        points.ruleset_create(actor=None, version=1, effective_from=first_day - dt.timedelta(days=1),
                              daily_cap=points.DEFAULT_DAILY_CAP, rules=points.DEFAULT_RULES)
        points.ruleset_create(actor=None, version=2, effective_from=first_day + dt.timedelta(days=182), daily_cap=70,
                              rules=dict(points.DEFAULT_RULES, daily_issue=(8, 8), read_material=(2, 12)))

    materials: list[Any] = []
    for topic_name, items in MATERIALS.items():
        topic = services.topic_create(actor=secretary, unit=organ, name=topic_name)
        for title, body in items:
            materials.append(services.material_create(actor=secretary, topic=topic, title=title, kind="text",
                                                      body=body))
    materials.append(services.material_create(actor=secretary, topic=topic, title="专题辅导视频", kind="video",
                                              url="https://video.example.org/fudao/1", minutes=45))

    plans = []
    for index, (title, span) in enumerate((("学习贯彻党的二十大精神专题学习计划", (0, 180)),
                                            ("政法业务能力提升学习计划", (182, 364)))):
        start = first_day + dt.timedelta(days=span[0])
        plan = services.plan_create(actor=secretary, unit=organ, title=title, starts_on=start,
                                    ends_on=first_day + dt.timedelta(days=span[1]), units=[organ],
                                    materials=materials[index * 4:index * 4 + 4], note_min_length=100)
        plans.append(plan)
        for n, kind in enumerate(("collective", "seminar", "centre_group", "collective")):
            held_on = min(today, start + dt.timedelta(days=20 + 40 * n))
            attendees = [u.person for u in members if rng.random() < 0.85 and u.person is not None]
            services.session_record(actor=secretary, plan=plan, kind=kind, held_on=held_on, place="三楼会议室",
                                    topic=plan.title[:20], attendees=attendees)

    bank = QuestionBank.objects.filter(unit=organ, name="政法业务题库").first() or bank_create(
        actor=None, unit=organ, name="政法业务题库")
    questions = list(Question.objects.filter(bank=bank)) or [
        question_create(actor=None, bank=bank, qtype=qtype, stem=stem, options=options, answers=answers,
                        explanation="见学习资料。") for qtype, stem, options, answers in QUESTIONS]

    weekdays = [first_day + dt.timedelta(days=i) for i in range(365)]
    weekdays = [d for d in weekdays if d.weekday() < 5][-ISSUES:]
    answers = 0
    for day in weekdays:
        chosen = rng.sample(questions, 3)
        issue = services.daily_issue_publish(actor=secretary, unit=organ, published_on=day,
                                             title=f"每日一学（{day:%m月%d日}）",
                                             material_text=rng.choice(materials).body or "观看专题辅导视频。",
                                             questions=chosen)
        for member in members:
            if rng.random() > 0.8:
                continue
            responses = {str(q.pk): (q.answers[0] if q.qtype in ("single", "judge") else
                                     list(q.answers) if q.qtype == "multiple" else [a[0] for a in q.answers])
                         if rng.random() < 0.85 else (q.options[-1] if q.options else "不知道")
                         for q in chosen}
            services.daily_issue_answer(actor=member, issue=issue, responses=responses, at=_at(day, 9))
            answers += 1

    readings = 0
    visible = [m for m in materials if m.kind == "text"]
    for learner in members:  # the organ's materials are for its members
        for material in rng.sample(visible, rng.randint(2, 6)):
            day = first_day + dt.timedelta(days=rng.randrange(365))
            at = _at(day, 20)
            services.reading_record(actor=learner, material=material, seconds=rng.randint(60, 1500),
                                    started_at=at - dt.timedelta(minutes=30), at=at)
            readings += 1
    for plan in plans:
        for member in members:
            if rng.random() < 0.7:
                services.note_submit(actor=member, plan=plan, at=_at(plan.ends_on, 18), text=(
                    f"通过学习《{plan.title}》，我深刻认识到理论学习对做好政法工作的重要意义。"
                    "今后要把学习成果转化为化解矛盾纠纷、服务人民群众的实际行动，坚持学以致用、知行合一，"
                    "在岗位上勇于担当、敢于作为，不断提升依法办事能力和群众工作本领。"))

    books = [services.book_create(actor=secretary, unit=organ, title=title, author=author, isbn=_isbn(prefix, i),
                                  copies=rng.randint(1, 3)) for i, (title, author, prefix) in enumerate(BOOKS)]
    loans = 0
    for member in members:
        for book in rng.sample(books, 3):
            on = first_day + dt.timedelta(days=rng.randrange(300))
            loan = services.loan_borrow(actor=member, book=book, on=on)  # returned below: a copy is always free
            services.loan_return(actor=member, loan=loan, on=on + dt.timedelta(days=rng.randint(7, 40)),
                                 minutes_read=rng.randint(60, 600))
            loans += 1

    programme = services.programme_create(actor=secretary, unit=organ, name="头雁人才",
                                          description="政法系统青年业务骨干培养对象")
    selection_round = services.round_create(actor=secretary, programme=programme, name="第一批培养对象",
                                            held_on=first_day + dt.timedelta(days=300))
    selected = rng.sample(members, min(5, len(members)))
    for member in selected:
        if member.person is not None:
            services.selection_add(actor=secretary, selection_round=selection_round, person=member.person,
                                   reason="业务测试成绩优秀")
    return (f"{len(learners)} learners, {len(materials)} materials, {len(plans)} plans, {len(weekdays)} daily issues "
            f"({answers} answers), {readings} reading records, {len(books)} books ({loans} loans), "
            f"{len(selected)} selected into 头雁人才")
