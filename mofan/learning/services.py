"""Writes of the learning app. Each checks permission before its transaction (LEARNING_MANAGE on the unit for
what a unit owns, LEARN and membership for what a learner does), validates with a clear message and writes
nothing on bad input, leaves one audit row, and gives points through ``learning.points.award``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from mofan.accounts.permissions import acting_user, ensure_can
from mofan.accounts.roles import Action
from mofan.audit.events import AuditEvent
from mofan.audit.services import audit_record
from mofan.core.uploads import check_upload
from mofan.learning.models import (
    Book,
    DailyAnswer,
    DailyIssue,
    IssueCounter,
    Loan,
    Material,
    MaterialKind,
    ReadingRecord,
    Selection,
    SelectionRound,
    SessionKind,
    SourceKind,
    StudyNote,
    StudyPlan,
    StudySession,
    TalentProgramme,
    Topic,
)
from mofan.learning.points import award
from mofan.org.models import Person, Unit
from mofan.questions.marking import mark
from mofan.questions.models import Question

MATERIAL_MAX_BYTES = 20 * 1024 * 1024
MATERIAL_FILE_TYPES = ("pdf", "docx")
READING_MAX_SECONDS = 2 * 3600  # one report of the reading page: more than two hours at a stretch is not reading
READING_POINTS_MIN_SECONDS = 30  # a glance earns no points
ISSUE_MIN_QUESTIONS, ISSUE_MAX_QUESTIONS = 2, 5
LOAN_DAYS = 30


def branch_of(user: Any) -> Unit | None:
    """The learner's branch: the unit of the person their account is linked to."""
    person = getattr(user, "person", None)
    return person.unit if person is not None else None


def _ensure_member(actor: Any, unit_path: str) -> Unit:
    """The actor is a learner whose branch lies under ``unit_path``; returns the branch."""
    branch = branch_of(actor)
    if branch is None or not branch.path.startswith(unit_path):
        raise PermissionDenied(_("This is for the members of another unit."))
    ensure_can(actor, Action.LEARN, branch)
    return branch


def _related(path_a: str, path_b: str) -> bool:
    """One unit lies under the other (or they are the same)."""
    return path_a.startswith(path_b) or path_b.startswith(path_a)


# Materials -------------------------------------------------------------------------------------------------


def topic_create(*, actor: Any, unit: Unit, name: str) -> Topic:
    ensure_can(actor, Action.LEARNING_MANAGE, unit)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the topic a name.")]})
    if Topic.objects.filter(unit=unit, name=name).exists():
        raise ValidationError({"name": [_("This unit already has a topic of this name.")]})
    with transaction.atomic():
        topic = Topic.objects.create(unit=unit, unit_path=unit.path, name=name[:100])
        audit_record(actor=actor, event=AuditEvent.LEARNING_TOPIC_CHANGED, target=topic, new={"name": name},
                     unit_path=unit.path)
    return topic


def material_create(*, actor: Any, topic: Topic, title: str, kind: str, body: str = "", upload: Any = None,
                    url: str = "", minutes: int | None = None) -> Material:
    """学习资料 of a topic, owned by the topic's unit: a text, a Word/PDF file (checked by content), a link or a
    video (its address and length in minutes)."""
    ensure_can(actor, Action.LEARNING_MANAGE, topic.unit)
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the material a title.")]
    if kind not in MaterialKind.values:
        errors["kind"] = [_("Choose text, a document, a link or a video.")]
    checked = None
    if kind == MaterialKind.TEXT and not (body or "").strip():
        errors["body"] = [_("Write the text of the material.")]
    if kind == MaterialKind.FILE:
        if upload is None:
            errors["file"] = [_("Attach a Word (.docx) or PDF file.")]
        else:
            extension = str(upload.name).rsplit(".", 1)[-1].lower() if "." in str(upload.name) else ""
            if extension not in MATERIAL_FILE_TYPES:
                errors["file"] = [_("Attach a Word (.docx) or PDF file.")]
            else:
                try:
                    checked = check_upload(upload, max_bytes=MATERIAL_MAX_BYTES)
                except ValidationError as exc:
                    errors["file"] = list(exc.messages)
    if kind in (MaterialKind.LINK, MaterialKind.VIDEO):
        url = (url or "").strip()
        if not url.startswith(("https://", "http://")):
            errors["url"] = [_("Give the address, starting with https:// or http://.")]
    if kind == MaterialKind.VIDEO and (minutes is None or not 0 < int(minutes) <= 600):
        errors["minutes"] = [_("Give the length of the video in minutes (1 to 600).")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        material = Material(topic=topic, title=title[:200], kind=kind, body=body or "", url=url or "",
                            minutes=int(minutes) if kind == MaterialKind.VIDEO and minutes else None,
                            unit=topic.unit, unit_path=topic.unit.path, created_by=acting_user(actor))
        if checked is not None:
            from django.core.files.base import ContentFile

            material.file_sha256 = checked.sha256
            material.file.save(checked.name.rsplit("/", 1)[-1], ContentFile(checked.content), save=False)
        material.save()
        audit_record(actor=actor, event=AuditEvent.LEARNING_MATERIAL_CHANGED, target=material,
                     new={"title": material.title, "kind": kind}, unit_path=topic.unit.path)
    return material


def reading_record(*, actor: Any, material: Material, seconds: int, started_at: dt.datetime | None = None,
                   at: dt.datetime | None = None) -> ReadingRecord:
    """自学: the reading page reports the seconds spent on a material. Values beyond what is plausible (longer
    than two hours, or longer than the time since the page opened) are cut."""
    branch = _ensure_member(actor, material.unit_path)
    now = at or timezone.now()
    try:
        seconds = int(seconds)
    except (TypeError, ValueError):
        raise ValidationError({"seconds": [_("The time read must be a number of seconds.")]}) from None
    if seconds <= 0:
        raise ValidationError({"seconds": [_("The time read must be a number of seconds.")]})
    started_at = started_at or now - dt.timedelta(seconds=seconds)
    if started_at > now:
        raise ValidationError({"started_at": [_("The reading cannot start in the future.")]})
    elapsed = int((now - started_at).total_seconds())
    seconds = max(1, min(seconds, READING_MAX_SECONDS, elapsed or 1))
    with transaction.atomic():
        record = ReadingRecord.objects.create(user=actor, material=material, started_at=started_at, seconds=seconds,
                                              unit_path=branch.path)
        if seconds >= READING_POINTS_MIN_SECONDS:
            award(user=actor, action="read_material", ref=f"material:{material.pk}", at=now)
        audit_record(actor=actor, event=AuditEvent.LEARNING_READING_RECORDED, target=record,
                     new={"material": material.pk, "seconds": seconds}, unit_path=branch.path)
    return record


# Study plans -----------------------------------------------------------------------------------------------


def plan_create(*, actor: Any, unit: Unit, title: str, starts_on: dt.date, ends_on: dt.date,
                units: Sequence[Unit] = (), people: Sequence[Person] = (), materials: Sequence[Material] = (),
                note_min_length: int = 0) -> StudyPlan:
    """专题学习计划 of a unit, assigned to units under it (their members) and/or people."""
    ensure_can(actor, Action.LEARNING_MANAGE, unit)
    title = (title or "").strip()
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the plan a title.")]
    if ends_on < starts_on:
        errors["ends_on"] = [_("The plan cannot end before it starts.")]
    if not units and not people:
        errors["units"] = [_("Assign the plan to at least one unit or person.")]
    if any(not u.path.startswith(unit.path) for u in units) or any(
            not p.unit.path.startswith(unit.path) for p in people):
        errors["units"] = [_("A plan can be assigned only within the organising unit.")]
    if any(not _related(m.unit_path, unit.path) for m in materials):
        errors["materials"] = [_("A material of another unit cannot be part of this plan.")]
    if note_min_length < 0 or note_min_length > 20000:
        errors["note_min_length"] = [_("The minimum length of the note must be between 0 and 20000 characters.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        plan = StudyPlan.objects.create(title=title[:200], unit=unit, unit_path=unit.path, starts_on=starts_on,
                                        ends_on=ends_on, note_min_length=note_min_length, created_by=acting_user(actor))
        plan.assigned_units.set(units)
        plan.assigned_people.set(people)
        plan.materials.set(materials)
        audit_record(actor=actor, event=AuditEvent.LEARNING_PLAN_CHANGED, target=plan,
                     new={"title": plan.title, "units": [u.pk for u in units], "people": len(people),
                          "materials": [m.pk for m in materials]}, unit_path=unit.path)
    return plan


def plan_assigned_people(plan: StudyPlan) -> Any:
    """The people a plan is assigned to: those named, and the active people of the assigned units."""
    from django.db.models import Q

    query = Q(pk__in=plan.assigned_people.values("pk"))
    for path in plan.assigned_units.values_list("path", flat=True):
        query |= Q(unit__path__startswith=path)
    return Person.objects.filter(query, is_active=True)


def session_record(*, actor: Any, plan: StudyPlan, kind: str, held_on: dt.date, place: str = "", topic: str = "",
                   attendees: Sequence[Person] = ()) -> StudySession:
    """集中学习 / 专题研讨 / 中心组学习: a session of the plan held on a day, with the people who attended."""
    ensure_can(actor, Action.LEARNING_MANAGE, plan.unit)
    errors: dict[str, list[str]] = {}
    if kind not in SessionKind.values:
        errors["kind"] = [_("Choose the kind of session.")]
    if held_on > timezone.localdate():
        errors["held_on"] = [_("A session is recorded after it was held.")]
    if any(not p.unit.path.startswith(plan.unit_path) for p in attendees):
        errors["attendees"] = [_("Attendees must belong to the organising unit.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        session = StudySession.objects.create(plan=plan, kind=kind, held_on=held_on, place=(place or "")[:100],
                                              topic=(topic or "")[:200], unit_path=plan.unit_path)
        session.attendees.set(attendees)
        at = timezone.make_aware(dt.datetime.combine(held_on, dt.time(12)))
        accounts = apps.get_model("accounts", "User").objects.filter(person__in=attendees, is_active=True)
        for account in accounts:
            award(user=account, action="session_attended", ref=f"session:{session.pk}", at=at)
        audit_record(actor=actor, event=AuditEvent.LEARNING_SESSION_RECORDED, target=session,
                     new={"plan": plan.pk, "kind": kind, "held_on": held_on.isoformat(), "attendees": len(attendees)},
                     unit_path=plan.unit_path)
    return session


def note_submit(*, actor: Any, plan: StudyPlan, text: str, at: dt.datetime | None = None) -> StudyNote:
    """心得体会 on a plan, at least the plan's minimum length (spaces not counted). A second submission
    replaces the first."""
    branch = _ensure_member(actor, "")
    if not plan_assigned_people(plan).filter(pk=actor.person_id).exists():
        raise PermissionDenied(_("This plan is not assigned to you."))
    text = (text or "").strip()
    length = len("".join(text.split()))
    if not text or length < plan.note_min_length:
        raise ValidationError({"text": [_("The study note must be at least %(min)d characters long; it has "
                                          "%(n)d.") % {"min": plan.note_min_length, "n": length}]})
    with transaction.atomic():
        note, created = StudyNote.objects.update_or_create(plan=plan, user=actor, defaults={"text": text})
        award(user=actor, action="study_note", ref=f"plan:{plan.pk}", at=at)
        audit_record(actor=actor, event=AuditEvent.LEARNING_NOTE_SUBMITTED, target=note,
                     new={"plan": plan.pk, "length": length, "replaced": not created}, unit_path=branch.path)
    return note


# 天天学 ------------------------------------------------------------------------------------------------------


def _next_issue_number(unit: Unit) -> int:
    """The next 第 n 期 of the unit: its counter row is locked until the transaction ends, so two issues
    published at the same moment get n and n+1, and a rolled-back issue leaves no gap."""
    IssueCounter.objects.bulk_create([IssueCounter(unit=unit, last_number=0)], ignore_conflicts=True)
    counter = IssueCounter.objects.select_for_update().get(unit=unit)
    counter.last_number = F("last_number") + 1
    counter.save(update_fields=["last_number"])
    counter.refresh_from_db(fields=["last_number"])
    return int(counter.last_number)


def daily_issue_publish(*, actor: Any, unit: Unit, published_on: dt.date, title: str, material_text: str,
                        questions: Sequence[Question]) -> DailyIssue:
    """天天学 第 n 期 for the members of ``unit``: a short material and 2–5 questions from banks the unit may use."""
    ensure_can(actor, Action.LEARNING_MANAGE, unit)
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("Give the issue a title.")]
    if not (material_text or "").strip():
        errors["material_text"] = [_("Write the short material of the issue.")]
    ids = [q.pk for q in questions]
    if len(set(ids)) != len(ids) or not ISSUE_MIN_QUESTIONS <= len(ids) <= ISSUE_MAX_QUESTIONS:
        errors["questions"] = [_("Choose %(min)d to %(max)d different questions.")
                               % {"min": ISSUE_MIN_QUESTIONS, "max": ISSUE_MAX_QUESTIONS}]
    elif any(not q.is_active or not _related(q.bank.unit_path, unit.path) for q in questions):
        errors["questions"] = [_("A question of another unit's bank, or withdrawn, cannot be used.")]
    elif any(not q.auto_marked for q in questions):
        errors["questions"] = [_("Short-answer questions are marked by a person and cannot be used in daily study.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        number = _next_issue_number(unit)
        issue = DailyIssue.objects.create(unit=unit, unit_path=unit.path, number=number, published_on=published_on,
                                          title=title.strip()[:200], material_text=material_text.strip())
        issue.questions.set(questions)
        audit_record(actor=actor, event=AuditEvent.LEARNING_ISSUE_PUBLISHED, target=issue,
                     new={"number": number, "published_on": published_on.isoformat(), "questions": ids},
                     unit_path=unit.path)
    return issue


def daily_issue_answer(*, actor: Any, issue: DailyIssue, responses: dict[str, Any],
                       at: dt.datetime | None = None) -> DailyAnswer:
    """A member answers an issue once; each question is marked by ``questions.marking.mark``."""
    branch = _ensure_member(actor, issue.unit_path)
    if DailyAnswer.objects.filter(issue=issue, user=actor).exists():
        raise ValidationError(_("You have already answered this issue."))
    questions = list(issue.questions.all())
    responses = {str(k): v for k, v in (responses or {}).items()}
    if not any(responses.get(str(q.pk)) not in (None, "", []) for q in questions):
        raise ValidationError(_("Answer at least one question."))
    correct, total = 0, 0.0
    for q in questions:
        fraction = mark(q.qtype, q.answers, responses.get(str(q.pk)))
        total += float(fraction or 0)
        correct += 1 if fraction is not None and fraction == 1 else 0
    score = round(100 * total / len(questions), 2) if questions else 0
    kept = {str(q.pk): responses.get(str(q.pk)) for q in questions}
    try:
        with transaction.atomic():
            answer = DailyAnswer.objects.create(issue=issue, user=actor, responses=kept, correct=correct, score=score)
            award(user=actor, action="daily_issue", ref=f"issue:{issue.pk}", at=at)
            audit_record(actor=actor, event=AuditEvent.LEARNING_ISSUE_ANSWERED, target=answer,
                         new={"issue": issue.pk, "correct": correct, "score": score}, unit_path=branch.path)
    except IntegrityError:
        raise ValidationError(_("You have already answered this issue.")) from None
    return answer


# Reading room (职工书屋) -------------------------------------------------------------------------------------


def isbn13_check_digit(first12: str) -> str:
    """The 13th digit of an ISBN-13: weights 1 and 3 alternate, the sum is completed to a multiple of ten."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return str((10 - total % 10) % 10)


def isbn13_valid(value: str) -> bool:
    digits = (value or "").replace("-", "").replace(" ", "")
    if len(digits) != 13 or not digits.isdigit() or not digits.startswith(("978", "979")):
        return False
    return isbn13_check_digit(digits[:12]) == digits[12]


def book_create(*, actor: Any, unit: Unit, title: str, isbn: str, author: str = "", copies: int = 1) -> Book:
    ensure_can(actor, Action.LEARNING_MANAGE, unit)
    isbn = (isbn or "").replace("-", "").replace(" ", "")
    errors: dict[str, list[str]] = {}
    if not (title or "").strip():
        errors["title"] = [_("Give the book's title.")]
    if not isbn13_valid(isbn):
        errors["isbn"] = [_("This is not a valid ISBN-13 (13 digits starting 978 or 979, with the right check "
                            "digit).")]
    elif Book.objects.filter(unit=unit, isbn=isbn).exists():
        errors["isbn"] = [_("This book is already in the catalogue: change its number of copies instead.")]
    if not 1 <= int(copies) <= 999:
        errors["copies"] = [_("The number of copies must be between 1 and 999.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        book = Book.objects.create(unit=unit, unit_path=unit.path, title=title.strip()[:200],
                                   author=(author or "").strip()[:100], isbn=isbn, copies=int(copies))
        audit_record(actor=actor, event=AuditEvent.LEARNING_BOOK_CHANGED, target=book,
                     new={"title": book.title, "isbn": isbn, "copies": book.copies}, unit_path=unit.path)
    return book


def loan_borrow(*, actor: Any, book: Book, on: dt.date | None = None) -> Loan:
    """A member borrows a copy. No more loans than copies; one open loan of a title per reader."""
    branch = _ensure_member(actor, book.unit_path)
    on = on or timezone.localdate()
    with transaction.atomic():
        locked = Book.objects.select_for_update().get(pk=book.pk)  # serialises borrowers of this title
        open_loans = Loan.objects.filter(book=locked, returned_on__isnull=True)
        if open_loans.filter(user=actor).exists():
            raise ValidationError(_("You already have this book on loan."))
        if open_loans.count() >= locked.copies:
            raise ValidationError(_("All %(n)d copies of this book are on loan.") % {"n": locked.copies})
        loan = Loan.objects.create(book=locked, user=actor, borrowed_on=on, due_on=on + dt.timedelta(days=LOAN_DAYS))
        audit_record(actor=actor, event=AuditEvent.LEARNING_LOAN_BORROWED, target=loan,
                     new={"book": book.pk, "due_on": loan.due_on.isoformat()}, unit_path=branch.path)
    return loan


def loan_return(*, actor: Any, loan: Loan, on: dt.date | None = None, minutes_read: int = 0) -> Loan:
    """The reader (or who manages the reading room) returns a loan; the reader's time spent on the book
    becomes a reading record, and the return earns points."""
    if loan.user_id != getattr(actor, "pk", None):
        ensure_can(actor, Action.LEARNING_MANAGE, loan.book.unit)
    if loan.returned_on is not None:
        raise ValidationError(_("This loan was already returned."))
    on = on or timezone.localdate()
    if on < loan.borrowed_on:
        raise ValidationError(_("A book cannot be returned before it was borrowed."))
    if not 0 <= int(minutes_read) <= 100 * 60:
        raise ValidationError({"minutes_read": [_("Give the hours read in minutes, at most 6000.")]})
    reader = loan.user
    at = timezone.make_aware(dt.datetime.combine(on, dt.time(12)))
    with transaction.atomic():
        loan.returned_on = on
        loan.save(update_fields=["returned_on"])
        if minutes_read:
            ReadingRecord.objects.create(
                user=reader, book=loan.book, seconds=int(minutes_read) * 60, unit_path=getattr(branch_of(reader),
                                                                                              "path", ""),
                started_at=timezone.make_aware(dt.datetime.combine(loan.borrowed_on, dt.time(12))))
        award(user=reader, action="book_returned", ref=f"loan:{loan.pk}", at=at)
        audit_record(actor=actor, event=AuditEvent.LEARNING_LOAN_RETURNED, target=loan,
                     new={"book": loan.book_id, "returned_on": on.isoformat(), "minutes_read": minutes_read},
                     unit_path=loan.book.unit_path)
    return loan


# Talent pools ----------------------------------------------------------------------------------------------


def programme_create(*, actor: Any, unit: Unit, name: str, description: str = "") -> TalentProgramme:
    ensure_can(actor, Action.LEARNING_MANAGE, unit)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": [_("Give the programme a name.")]})
    if TalentProgramme.objects.filter(unit=unit, name=name).exists():
        raise ValidationError({"name": [_("This unit already has a programme of this name.")]})
    with transaction.atomic():
        programme = TalentProgramme.objects.create(unit=unit, unit_path=unit.path, name=name[:100],
                                                   description=description or "")
        audit_record(actor=actor, event=AuditEvent.LEARNING_PROGRAMME_CHANGED, target=programme,
                     new={"name": programme.name}, unit_path=unit.path)
    return programme


def round_create(*, actor: Any, programme: TalentProgramme, name: str, held_on: dt.date) -> SelectionRound:
    ensure_can(actor, Action.LEARNING_MANAGE, programme.unit)
    if not (name or "").strip():
        raise ValidationError({"name": [_("Give the round a name.")]})
    with transaction.atomic():
        selection_round = SelectionRound.objects.create(programme=programme, name=name.strip()[:100], held_on=held_on)
        audit_record(actor=actor, event=AuditEvent.LEARNING_PROGRAMME_CHANGED, target=selection_round,
                     new={"round": selection_round.name, "held_on": held_on.isoformat()}, unit_path=programme.unit_path)
    return selection_round


_SOURCE_MODELS = {SourceKind.EXAM: ("exams", "Paper"), SourceKind.CONTEST: ("contests", "Competition")}


def selection_add(*, actor: Any, selection_round: SelectionRound, person: Person, reason: str = "",
                  source_kind: str = "", source_id: int | None = None) -> Selection:
    """入选: a person of the programme's unit selected in a round, optionally fed by a test or competition."""
    programme = selection_round.programme
    ensure_can(actor, Action.LEARNING_MANAGE, programme.unit)
    errors: dict[str, list[str]] = {}
    if not person.unit.path.startswith(programme.unit_path):
        errors["person"] = [_("Only people of the programme's unit can be selected.")]
    elif Selection.objects.filter(round=selection_round, person=person).exists():
        errors["person"] = [_("This person is already selected in this round.")]
    if source_kind or source_id:
        if source_kind not in _SOURCE_MODELS or not source_id:
            errors["source_kind"] = [_("Name the test or competition that fed the selection, or neither.")]
        else:
            try:
                model = apps.get_model(*_SOURCE_MODELS[SourceKind(source_kind)])
            except LookupError:
                model = None
            source = model.objects.filter(pk=source_id).first() if model is not None else None
            if source is None or not _related(str(getattr(source, "unit_path", "")), programme.unit_path):
                errors["source_id"] = [_("No such test or competition of this unit.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        selection = Selection.objects.create(round=selection_round, person=person, reason=(reason or "")[:200],
                                             source_kind=source_kind or "", source_id=source_id or None,
                                             unit_path=programme.unit_path)
        audit_record(actor=actor, event=AuditEvent.LEARNING_SELECTION_ADDED, target=selection,
                     new={"round": selection_round.pk, "person": person.pk, "source": source_kind or None},
                     unit_path=programme.unit_path)
    return selection
