"""Ids that are not ids in the exams organiser's API and pages are a 4xx, never a server error (issue 9)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from mofan.exams.models import Paper
from mofan.exams.tests.conftest import add_questions
from mofan.exams.tests.test_api_manage import JSON, _paper

pytestmark = pytest.mark.django_db

NOT_IDS = [2**63, 2**64, -1, 1e30, "²", "9" * 5000]


def _client(login: Any, reauth: Any, user: Any) -> Client:
    client = reauth(login(user))
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("bad", NOT_IDS)
def test_a_paper_naming_ids_that_are_not_ids_is_a_400(district: Any, secretary: Any, bank: Any, login: Any,
                                                       reauth: Any, bad: Any) -> None:
    fixed = add_questions(bank, 1)
    client = _client(login, reauth, secretary)
    for body in ({"items": [{"question": bad, "points": "5"}]},
                 {"draws": [{"bank": bad, "count": 1, "points_each": "5"}]},
                 {"items": [{"question": fixed[0].pk, "points": "5"}],
                  "draws": [{"bank": bank.pk, "count": 1, "points_each": "5", "tag": bad}]}):
        response = client.post(reverse("exams-api-manage-papers"), _paper(district, **body), content_type=JSON)
        assert response.status_code == 400, (body, response.status_code)
    assert not Paper.objects.exists()


@pytest.mark.parametrize("bad", ["²", "9" * 5000, str(2**64)])
def test_the_new_paper_page_with_a_bank_that_is_not_an_id(district: Any, secretary: Any, bank: Any, login: Any,
                                                          reauth: Any, bad: str) -> None:
    client = _client(login, reauth, secretary)
    assert client.get(reverse("exams:manage_new"), {"bank": bad}).status_code == 200
