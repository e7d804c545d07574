"""The secretary's API: creating through the pages' forms, sessions, progress per branch with who has not
finished, talent rounds and selections — with the pages' refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from mofan.audit.events import AuditEvent
from mofan.audit.models import AuditLog
from mofan.learning import services
from mofan.learning.models import (
    Book,
    DailyIssue,
    Material,
    ReadingRecord,
    Selection,
    SelectionRound,
    StudyPlan,
    StudySession,
    Topic,
)

pytestmark = pytest.mark.django_db

JSON = "application/json"


def _create(client: Any, what: str, data: dict[str, Any]) -> Any:
    return client.post(reverse("learning-manage-create", args=[what]), data, content_type=JSON)


def test_secretary_creates_each_kind_through_the_api(world: Any, login: Any) -> None:
    client = login(world.secretary)
    material = _create(client, "material", {"unit": world.organ.pk, "topic": "新专题", "title": "新资料",
                                            "kind": "text", "body": "正文"})
    assert material.status_code == 201, material.json()
    assert Material.objects.get(pk=material.json()["id"]).topic.name == "新专题"
    issue = _create(client, "issue", {"unit": world.organ.pk, "published_on": "2026-03-01", "title": "第二期",
                                      "material_text": "材料", "questions": [q.pk for q in world.questions]})
    assert issue.status_code == 201 and DailyIssue.objects.get(pk=issue.json()["id"]).number == 2
    plan = _create(client, "plan", {"unit": world.organ.pk, "title": "新计划", "starts_on": "2026-03-01",
                                    "ends_on": "2026-04-01", "units": [world.branch.pk], "materials": [],
                                    "note_min_length": 0})
    assert plan.status_code == 201 and StudyPlan.objects.filter(title="新计划").exists()
    book = _create(client, "book", {"unit": world.organ.pk, "title": "书", "isbn": "9787020002207", "copies": 2})
    assert book.status_code == 201 and Book.objects.count() == 2
    programme = _create(client, "programme", {"unit": world.organ.pk, "name": "头雁人才"})
    assert programme.status_code == 201
    pk = programme.json()["id"]
    rnd = client.post(reverse("learning-talent-rounds", args=[pk]), {"name": "2026年", "held_on": "2026-05-01"},
                      content_type=JSON)
    assert rnd.status_code == 201
    selected = client.post(reverse("learning-talent-selections", args=[pk]), {
        "selection_round": rnd.json()["id"], "person": world.bob.person_id, "reason": "骨干"}, content_type=JSON)
    assert selected.status_code == 201
    assert Selection.objects.get(round_id=rnd.json()["id"]).person == world.bob.person
    session = client.post(reverse("learning-plan-sessions", args=[world.plan.pk]), {
        "kind": "seminar", "held_on": "2026-03-02", "attendees": [world.alice.person_id]}, content_type=JSON)
    assert session.status_code == 201 and StudySession.objects.get().attendees.get() == world.alice.person


def test_a_plan_is_assigned_to_named_people(world: Any, login: Any) -> None:
    client = login(world.secretary)
    plan = {"unit": world.organ.pk, "title": "青年理论学习", "starts_on": "2026-03-01", "ends_on": "2026-04-01",
            "note_min_length": 0}
    created = _create(client, "plan", {**plan, "people": ["carol", "alice"]})
    assert created.status_code == 201, created.json()
    assigned = StudyPlan.objects.get(pk=created.json()["id"]).assigned_people.all()
    assert {p.name for p in assigned} == {"王五", "张三"}
    page = client.post("/learning/manage/plan/new/", {**plan, "title": "页面计划", "people": "bob\n"})
    assert page.status_code == 302
    assert [p.name for p in StudyPlan.objects.get(title="页面计划").assigned_people.all()] == ["李四"]
    unknown = _create(client, "plan", {**plan, "title": "x", "people": ["nobody"]})
    assert unknown.status_code == 400 and "nobody" in str(unknown.json())
    outside = _create(client, "plan", {**plan, "title": "y", "people": ["dave"]})
    assert outside.status_code == 400 and "within the organising unit" in str(outside.json())
    nobody = _create(client, "plan", {**plan, "title": "z"})
    assert nobody.status_code == 400 and "at least one unit or person" in str(nobody.json())
    assert StudyPlan.objects.count() == 3


def test_bad_input_is_refused_and_writes_nothing(world: Any, login: Any) -> None:
    client = login(world.secretary)
    before = (Material.objects.count(), DailyIssue.objects.count(), Book.objects.count(), StudyPlan.objects.count(),
              SelectionRound.objects.count())
    few = _create(client, "issue", {"unit": world.organ.pk, "published_on": "2026-03-01", "title": "t",
                                    "material_text": "m", "questions": [world.questions[0].pk]})
    assert few.status_code == 400 and "Choose 2 to 5 different questions." in str(few.json())
    isbn = _create(client, "book", {"unit": world.organ.pk, "title": "书", "isbn": "9787010041154", "copies": 1})
    assert isbn.status_code == 400 and "not a valid ISBN-13" in str(isbn.json())
    backwards = _create(client, "plan", {"unit": world.organ.pk, "title": "倒计划", "starts_on": "2026-04-01",
                                         "ends_on": "2026-03-01", "units": [world.branch.pk], "note_min_length": 0})
    assert backwards.status_code == 400
    assert _create(client, "nonsense", {}).status_code == 404
    empty = _create(client, "material", {"unit": world.organ.pk, "topic": "一个新专题", "title": "空资料",
                                         "kind": "text", "body": ""})
    assert empty.status_code == 400 and "Write the text" in str(empty.json())
    assert not Topic.objects.filter(name="一个新专题").exists()  # the topic went with the refused material
    programme = services.programme_create(actor=world.secretary, unit=world.organ, name="岗位能手二")
    no_date = client.post(reverse("learning-talent-rounds", args=[programme.pk]), {"name": "x"}, content_type=JSON)
    assert no_date.status_code == 400 and "held_on" in no_date.json()
    assert (Material.objects.count(), DailyIssue.objects.count(), Book.objects.count(), StudyPlan.objects.count(),
            SelectionRound.objects.count()) == before


def test_progress_shows_branches_and_who_has_not_finished(world: Any, login: Any, reauth: Any) -> None:
    services.daily_issue_answer(actor=world.alice, issue=world.issue,
                                responses={str(q.pk): q.answers[0] for q in world.questions})
    fresh = login(world.secretary).get(reverse("learning-issue-progress", args=[world.issue.pk]))
    assert fresh.status_code == 403 and fresh.json()["code"] == "reauth_required"  # names: re-authenticate first
    client = reauth(login(world.secretary))
    issue = client.get(reverse("learning-issue-progress", args=[world.issue.pk])).json()
    assert issue["complete"] == 1 and {u["name"] for u in issue["unfinished"]} == {"李四", "王五"}
    assert {(b["name"], b["members"], b["complete"]) for b in issue["branches"]} >= {("综治科", 2, 1)}
    plan = client.get(reverse("learning-plan-progress", args=[world.plan.pk])).json()
    assert {u["name"] for u in plan["unfinished"]} == {"张三", "李四"}
    assert set(AuditLog.objects.filter(event_id=AuditEvent.EXPORT_LIST.id).values_list("note", flat=True)) == {
        "learning.issue.unfinished", "learning.plan.unfinished"}


def test_secretaries_only_and_within_their_scope(world: Any, login: Any) -> None:
    learner = login(world.alice)
    assert _create(learner, "book", {"unit": world.organ.pk, "title": "书", "isbn": "9787010041155"}).status_code == 403
    assert learner.get(reverse("learning-plan-progress", args=[world.plan.pk])).status_code == 403
    assert learner.post(reverse("learning-plan-sessions", args=[world.plan.pk]),
                        {"kind": "seminar", "held_on": "2026-03-02"}, content_type=JSON).status_code == 403
    other = login(world.other_secretary)
    assert other.get(reverse("learning-plan-progress", args=[world.plan.pk])).status_code == 404
    assert other.post(reverse("learning-plan-sessions", args=[world.plan.pk]),
                      {"kind": "seminar", "held_on": "2026-03-02"}, content_type=JSON).status_code == 404
    foreign = _create(other, "book", {"unit": world.organ.pk, "title": "书", "isbn": "9787010041155", "copies": 1})
    assert foreign.status_code == 400 and "unit" in foreign.json()
    assert Book.objects.count() == 1 and not StudySession.objects.exists()


def test_reading_room_through_the_api(world: Any, login: Any) -> None:
    client = login(world.alice)
    room = client.get(reverse("learning-books")).json()
    book = next(b for b in room["books"] if b["title"] == "红岩")
    assert book["available"] == 1 and room["loans"] == []
    borrowed = client.post(reverse("learning-book-borrow", args=[book["id"]]))
    assert borrowed.status_code == 201
    assert login(world.bob).post(reverse("learning-book-borrow", args=[book["id"]])).status_code == 400  # no copy
    assert client.get(reverse("learning-books")).json()["books"][0]["available"] == 0
    loan = borrowed.json()["id"]
    bad = client.post(reverse("learning-loan-return", args=[loan]), {"minutes_read": "lots"}, content_type=JSON)
    assert bad.status_code == 400 and "minutes_read" in bad.json()
    returned = client.post(reverse("learning-loan-return", args=[loan]), {"minutes_read": 45}, content_type=JSON)
    assert returned.status_code == 200 and returned.json()["returned_on"]
    assert ReadingRecord.objects.get(user=world.alice, book__isnull=False).seconds == 45 * 60
    assert login(world.outsider).post(reverse("learning-book-borrow", args=[book["id"]])).status_code == 404


def test_points_rules_read_by_all_changed_at_the_top(world: Any, login: Any, make_user: Any) -> None:
    from mofan.accounts.roles import Role
    from mofan.learning.models import PointsRuleSet

    top = login(make_user(Role.SECRETARY, world.d.district))
    organ = login(world.secretary)
    page = organ.get(reverse("learning:points_rules")).content.decode()
    assert "Version 1" in page and "Answered the daily study issue" in page and "A new version" not in page
    assert organ.post(reverse("learning:points_rules"), {"version": 2}).status_code == 403
    assert "A new version" in top.get(reverse("learning:points_rules")).content.decode()
    rules = reverse("learning-points-rules")
    assert [r["version"] for r in login(world.alice).get(rules).json()["results"]] == [1]
    assert organ.post(rules, {"rules": {"daily_issue": [8, 8]}}, content_type=JSON).status_code == 403
    unknown = top.post(rules, {"rules": {"flying": [1, 1]}}, content_type=JSON)
    assert unknown.status_code == 400 and "flying" in str(unknown.json())
    negative = top.post(rules, {"rules": {"daily_issue": [-1, 5]}}, content_type=JSON)
    assert negative.status_code == 400
    assert PointsRuleSet.objects.count() == 1
    created = top.post(rules, {"rules": {"daily_issue": [8, 8]}}, content_type=JSON)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["version"] == 2 and body["rules"]["daily_issue"]["points"] == 8
    assert body["rules"]["read_material"]["points"] == 1  # the others carried over from version 1
    older = top.post(reverse("learning:points_rules"), {**{f"{a}_{k}": 1 for a in body["rules"] for k in
                                                           ("points", "cap")}, "version": 2,
                                                        "effective_from": "2020-01-02", "daily_cap": 50})
    assert "higher version and a later date" in older.content.decode()
    assert PointsRuleSet.objects.count() == 2
