import pytest

from mofan.conftest import District
from mofan.core import paging
from mofan.org.models import Person


@pytest.fixture
def people(district: District) -> list[Person]:
    return Person.objects.bulk_create(
        [Person(name=f"人{i}", gender="M", unit=district.village_a1) for i in range(23)]
    )


@pytest.mark.django_db
def test_walks_forward_and_back_without_gaps(people: list[Person]) -> None:
    qs = Person.objects.all()
    first = paging.keyset_page(qs, size=10)
    assert [p.id for p in first] == [p.id for p in people[:10]]
    assert first.is_first and first.total == 23 and not first.total_capped
    second = paging.keyset_page(qs, after=first.next_after, size=10)
    assert [p.id for p in second] == [p.id for p in people[10:20]]
    third = paging.keyset_page(qs, after=second.next_after, size=10)
    assert [p.id for p in third] == [p.id for p in people[20:]] and third.next_after is None
    back = paging.keyset_page(qs, before=third.prev_before, size=10)
    assert [p.id for p in back] == [p.id for p in people[10:20]]
    back_to_first = paging.keyset_page(qs, before=back.prev_before, size=10)
    assert [p.id for p in back_to_first] == [p.id for p in people[:10]] and back_to_first.prev_before is None


@pytest.mark.django_db
def test_count_is_capped(people: list[Person], monkeypatch: pytest.MonkeyPatch) -> None:
    assert paging.capped_count(Person.objects.all(), cap=5) == (5, True)
    assert paging.capped_count(Person.objects.all(), cap=50) == (23, False)


@pytest.mark.django_db
def test_bad_cursor_is_the_first_page(people: list[Person]) -> None:
    page = paging.keyset_page(Person.objects.all(), after="x; drop", size=5)
    assert [p.id for p in page] == [p.id for p in people[:5]]


@pytest.mark.django_db
def test_descending_walks_newest_first_forward_and_back(people: list[Person]) -> None:
    qs = Person.objects.all()
    newest = list(reversed(people))
    first = paging.keyset_page(qs, size=10, descending=True)
    assert [p.id for p in first] == [p.id for p in newest[:10]] and first.is_first
    second = paging.keyset_page(qs, after=first.next_after, size=10, descending=True)
    assert [p.id for p in second] == [p.id for p in newest[10:20]]
    third = paging.keyset_page(qs, after=second.next_after, size=10, descending=True)
    assert [p.id for p in third] == [p.id for p in newest[20:]] and third.next_after is None
    back = paging.keyset_page(qs, before=third.prev_before, size=10, descending=True)
    assert [p.id for p in back] == [p.id for p in newest[10:20]]
    back_to_first = paging.keyset_page(qs, before=back.prev_before, size=10, descending=True)
    assert [p.id for p in back_to_first] == [p.id for p in newest[:10]] and back_to_first.prev_before is None


@pytest.mark.django_db
def test_descending_ignores_the_querysets_own_order(people: list[Person]) -> None:
    page = paging.keyset_page(Person.objects.order_by("name"), size=3, descending=True)
    assert [p.id for p in page] == [p.id for p in reversed(people[-3:])]


@pytest.mark.django_db
def test_api_pagination_can_be_newest_first(people: list[Person]) -> None:
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from mofan.core.api import KeysetPagination

    class Newest(KeysetPagination):
        descending = True

    pager = Newest()
    items = pager.paginate_queryset(Person.objects.all(), Request(APIRequestFactory().get("/api/x/")))
    assert [p.id for p in items] == [p.id for p in reversed(people)][: len(items)]
    assert pager.get_paginated_response([]).data["count"] == 23
