"""Services of the learning app: each writes one audit row, refuses bad input with a clear message and writes
nothing."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mofan.audit.models import AuditLog
from mofan.learning import services
from mofan.learning.models import (
    Book,
    DailyAnswer,
    DailyIssue,
    IssueCounter,
    Loan,
    Material,
    PointsAward,
    ReadingRecord,
    Selection,
    StudyNote,
    StudyPlan,
)

pytestmark = pytest.mark.django_db


def _audit(event: str, target: Any) -> AuditLog:
    return AuditLog.objects.get(event_name=event, target_id=str(target.pk))


def _new(event: str, target: Any) -> dict[str, Any]:
    return dict(_audit(event, target).new_values or {})


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def topic(study: Any) -> Any:
    return services.topic_create(actor=study.secretary, unit=study.organ, name="党的二十大精神")


@pytest.fixture
def material(study: Any, topic: Any) -> Material:
    return services.material_create(actor=study.secretary, topic=topic, title="学习纲要第一章", kind="text",
                                    body="全面建设社会主义现代化国家……")


# Materials ------------------------------------------------------------------------------------------------


def test_material_kinds_and_audit(study: Any, topic: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    text = services.material_create(actor=study.secretary, topic=topic, title="文本", kind="text", body="内容")
    doc = services.material_create(actor=study.secretary, topic=topic, title="文件", kind="file",
                                   upload=SimpleUploadedFile("纲要.docx", _docx()))
    video = services.material_create(actor=study.secretary, topic=topic, title="视频", kind="video",
                                     url="https://example.org/v/1", minutes=25)
    assert str(doc.file.name).endswith(".docx") and len(doc.file_sha256) == 64
    assert video.minutes == 25 and text.unit_path == study.organ.path
    assert _audit("learning.material.changed", doc).actor == study.secretary


def test_material_file_checked_by_content(study: Any, topic: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    before = Material.objects.count()
    with pytest.raises(ValidationError, match="not really a .pdf"):
        services.material_create(actor=study.secretary, topic=topic, title="假PDF", kind="file",
                                 upload=SimpleUploadedFile("a.pdf", b"MZ\x90\x00 not a pdf"))
    with pytest.raises(ValidationError, match="Word"):
        services.material_create(actor=study.secretary, topic=topic, title="图片", kind="file",
                                 upload=SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n"))
    with pytest.raises(ValidationError, match="minutes"):
        services.material_create(actor=study.secretary, topic=topic, title="视频", kind="video",
                                 url="https://example.org/v", minutes=None)
    assert Material.objects.count() == before


def test_material_by_a_learner_or_another_town_is_refused(study: Any, topic: Any) -> None:
    for actor in (study.alice, study.other_secretary):
        with pytest.raises(PermissionDenied):
            services.material_create(actor=actor, topic=topic, title="x", kind="text", body="y")
    assert Material.objects.count() == 0


def test_reading_record_caps_implausible_time_and_awards_once(study: Any, material: Material, rules: Any) -> None:
    now = timezone.now()
    record = services.reading_record(actor=study.alice, material=material, seconds=99999,
                                     started_at=now - dt.timedelta(minutes=10), at=now)
    assert record.seconds == 600  # no more than the time since the page opened
    long = services.reading_record(actor=study.alice, material=material, seconds=50000,
                                   started_at=now - dt.timedelta(hours=5), at=now)
    assert long.seconds == services.READING_MAX_SECONDS
    assert PointsAward.objects.filter(user=study.alice, action="read_material").count() == 1
    assert _audit("learning.reading.recorded", record).unit_path == study.branch.path


def test_reading_record_refuses_bad_time_and_outsiders(study: Any, material: Material) -> None:
    with pytest.raises(ValidationError, match="number of seconds"):
        services.reading_record(actor=study.alice, material=material, seconds=-3)
    with pytest.raises(ValidationError, match="number of seconds"):
        services.reading_record(actor=study.alice, material=material, seconds="abc")  # type: ignore[arg-type]
    with pytest.raises(PermissionDenied):
        services.reading_record(actor=study.outsider, material=material, seconds=60)
    assert ReadingRecord.objects.count() == 0


# Plans and notes ------------------------------------------------------------------------------------------


def test_plan_create_and_assignment(study: Any, material: Material) -> None:
    plan = services.plan_create(actor=study.secretary, unit=study.organ, title="主题教育学习计划",
                                starts_on=dt.date(2026, 3, 1), ends_on=dt.date(2026, 6, 30), units=[study.branch],
                                people=[study.carol.person], materials=[material], note_min_length=20)
    assigned = set(services.plan_assigned_people(plan).values_list("pk", flat=True))
    assert assigned == {study.alice.person_id, study.bob.person_id, study.carol.person_id}
    assert _new("learning.plan.changed", plan)["materials"] == [material.pk]


def test_plan_bad_input_writes_nothing(study: Any, material: Material) -> None:
    with pytest.raises(ValidationError) as excinfo:
        services.plan_create(actor=study.secretary, unit=study.organ, title="", starts_on=dt.date(2026, 3, 1),
                             ends_on=dt.date(2026, 2, 1), units=[study.d.town_b])
    assert set(excinfo.value.message_dict) == {"title", "ends_on", "units"}
    assert StudyPlan.objects.count() == 0


def test_note_min_length_is_enforced(study: Any, material: Material, rules: Any) -> None:
    plan = services.plan_create(actor=study.secretary, unit=study.organ, title="计划", starts_on=dt.date(2026, 3, 1),
                                ends_on=dt.date(2026, 6, 30), units=[study.branch], materials=[material],
                                note_min_length=20)
    with pytest.raises(ValidationError, match="at least 20 characters long; it has 5"):
        services.note_submit(actor=study.alice, plan=plan, text="学 习 心 得 好")
    assert StudyNote.objects.count() == 0
    note = services.note_submit(actor=study.alice, plan=plan, text="通过学习，我深刻认识到理论武装的重要性，要学以致用。")
    assert _audit("learning.note.submitted", note).actor == study.alice
    assert PointsAward.objects.get(user=study.alice, action="study_note").points == 5
    with pytest.raises(PermissionDenied):
        services.note_submit(actor=study.carol, plan=plan, text="x" * 30)  # carol is not assigned


def test_session_records_attendees_and_awards(study: Any, rules: Any) -> None:
    plan = services.plan_create(actor=study.secretary, unit=study.organ, title="计划", starts_on=dt.date(2026, 3, 1),
                                ends_on=dt.date(2026, 6, 30), units=[study.organ])
    session = services.session_record(actor=study.secretary, plan=plan, kind="centre_group",
                                      held_on=dt.date(2026, 3, 5), place="三楼会议室",
                                      attendees=[study.alice.person, study.carol.person])
    assert session.attendees.count() == 2
    assert PointsAward.objects.filter(action="session_attended").count() == 2
    assert _new("learning.session.recorded", session)["attendees"] == 2
    with pytest.raises(ValidationError, match="belong to the organising unit"):
        services.session_record(actor=study.secretary, plan=plan, kind="seminar", held_on=dt.date(2026, 3, 6),
                                attendees=[study.outsider.person])


# 天天学 ------------------------------------------------------------------------------------------------------


def _issue(study: Any, day: int = 1, unit: Any = None) -> DailyIssue:
    return services.daily_issue_publish(actor=study.secretary, unit=unit or study.organ,
                                        published_on=dt.date(2026, 3, day), title=f"第{day}天", material_text="材料",
                                        questions=study.questions[:2])


def test_issue_numbers_are_gapless_per_unit(study: Any) -> None:
    first, second = _issue(study, 1), _issue(study, 2)
    branch_issue = _issue(study, 3, unit=study.branch)
    assert (first.number, second.number, branch_issue.number) == (1, 2, 1)
    with pytest.raises(ValidationError, match="2 to 5 different questions"):
        services.daily_issue_publish(actor=study.secretary, unit=study.organ, published_on=dt.date(2026, 3, 4),
                                     title="t", material_text="m", questions=study.questions[:1])
    third = _issue(study, 5)
    assert third.number == 3  # the refused issue took no number
    assert IssueCounter.objects.get(unit=study.organ).last_number == 3
    assert _new("learning.issue.published", third)["number"] == 3


def test_issue_refuses_questions_of_another_units_bank(study: Any) -> None:
    from mofan.questions.services import bank_create, question_create

    bank = bank_create(actor=None, unit=study.d.town_b, name="乙镇题库")
    foreign = question_create(actor=None, bank=bank, qtype="judge", stem="乙镇的题", options=["对", "错"],
                              answers=["对"])
    with pytest.raises(ValidationError, match="another unit's bank"):
        services.daily_issue_publish(actor=study.secretary, unit=study.organ, published_on=dt.date(2026, 3, 1),
                                     title="t", material_text="m", questions=[study.questions[0], foreign])
    short = question_create(actor=None, bank=study.bank, qtype="short", stem="谈谈你的体会。", answers=[])
    with pytest.raises(ValidationError, match="marked by a person"):
        services.daily_issue_publish(actor=study.secretary, unit=study.organ, published_on=dt.date(2026, 3, 1),
                                     title="t", material_text="m", questions=[study.questions[0], short])
    assert DailyIssue.objects.count() == 0


def test_answer_once_marked_and_awarded(study: Any, rules: Any) -> None:
    issue = _issue(study)
    q1, q2 = study.questions[:2]
    answer = services.daily_issue_answer(actor=study.alice, issue=issue, responses={str(q1.pk): "2", str(q2.pk): "错"})
    assert (answer.correct, float(answer.score)) == (1, 50.0)
    assert _audit("learning.issue.answered", answer).actor == study.alice
    assert PointsAward.objects.get(user=study.alice, action="daily_issue").points == 5
    with pytest.raises(ValidationError, match="already answered"):
        services.daily_issue_answer(actor=study.alice, issue=issue, responses={str(q1.pk): "2"})
    with pytest.raises(PermissionDenied):
        services.daily_issue_answer(actor=study.outsider, issue=issue, responses={str(q1.pk): "2"})
    with pytest.raises(ValidationError, match="at least one question"):
        services.daily_issue_answer(actor=study.bob, issue=issue, responses={})
    assert DailyAnswer.objects.count() == 1


# Reading room ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("isbn", "valid"), [
    ("9787010041155", True), ("978-7-01-004115-5", True), ("9780306406157", True),
    ("9787010041154", False), ("978701004115", False), ("1234567890123", False), ("97870100411X4", False),
])
def test_isbn13_check_digit(isbn: str, valid: bool) -> None:
    assert services.isbn13_valid(isbn) is valid


def test_book_with_bad_isbn_is_refused(study: Any) -> None:
    with pytest.raises(ValidationError, match="not a valid ISBN-13"):
        services.book_create(actor=study.secretary, unit=study.organ, title="书", isbn="9787010041154")
    assert Book.objects.count() == 0


def test_loans_beyond_copies_are_refused(study: Any, rules: Any) -> None:
    book = services.book_create(actor=study.secretary, unit=study.organ, title="习近平谈治国理政",
                                isbn="978-7-119-09057-3", author="", copies=1)
    assert _new("learning.book.changed", book)["isbn"] == "9787119090573"
    loan = services.loan_borrow(actor=study.alice, book=book, on=dt.date(2026, 3, 1))
    assert loan.due_on == dt.date(2026, 3, 31)
    with pytest.raises(ValidationError, match="All 1 copies of this book are on loan"):
        services.loan_borrow(actor=study.bob, book=book)
    with pytest.raises(ValidationError, match="already have this book"):
        services.loan_borrow(actor=study.alice, book=book)
    assert Loan.objects.count() == 1
    services.loan_return(actor=study.alice, loan=loan, on=dt.date(2026, 3, 20), minutes_read=300)
    assert ReadingRecord.objects.get(book=book).seconds == 18000
    assert PointsAward.objects.get(user=study.alice, action="book_returned").points == 5
    assert _audit("learning.loan.returned", loan).actor == study.alice
    with pytest.raises(ValidationError, match="already returned"):
        services.loan_return(actor=study.alice, loan=loan)
    assert services.loan_borrow(actor=study.bob, book=book).user == study.bob  # the copy is back


# Talent pools ---------------------------------------------------------------------------------------------


def test_selection_with_and_without_source(study: Any) -> None:
    programme = services.programme_create(actor=study.secretary, unit=study.organ, name="头雁人才")
    selection_round = services.round_create(actor=study.secretary, programme=programme, name="2026年第一批",
                                            held_on=dt.date(2026, 4, 1))
    selection = services.selection_add(actor=study.secretary, selection_round=selection_round,
                                       person=study.alice.person, reason="业务骨干")
    assert _new("learning.talent.selected", selection)["person"] == study.alice.person_id
    with pytest.raises(ValidationError, match="already selected"):
        services.selection_add(actor=study.secretary, selection_round=selection_round, person=study.alice.person)
    with pytest.raises(ValidationError, match="programme's unit"):
        services.selection_add(actor=study.secretary, selection_round=selection_round, person=study.outsider.person)
    with pytest.raises(ValidationError, match="No such test or competition"):
        services.selection_add(actor=study.secretary, selection_round=selection_round, person=study.bob.person,
                               source_kind="exams.paper", source_id=999999)
    with pytest.raises(ValidationError, match="or neither"):
        services.selection_add(actor=study.secretary, selection_round=selection_round, person=study.bob.person,
                               source_kind="weird", source_id=1)
    assert Selection.objects.count() == 1
