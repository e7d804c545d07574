import pytest
from django.conf import settings
from django.test import Client


@pytest.mark.django_db
def test_chinese_by_default_whatever_the_browser_asks() -> None:
    response = Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()


@pytest.mark.django_db
def test_english_when_chosen() -> None:
    client = Client()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    response = client.get("/accounts/login/")
    assert response["Content-Language"] == "en"
    assert "Sign in to mofan" in response.content.decode()


@pytest.mark.django_db
def test_refusals_and_missing_pages_speak_chinese(district: object, make_user: object, login: object) -> None:
    from mofan.accounts.roles import Role

    client = login(make_user(Role.PARTY_MEMBER, district.district))  # type: ignore[operator,attr-defined]
    forbidden = client.get("/org/import/")
    assert forbidden.status_code == 403 and "不允许" in forbidden.content.decode()
    missing = client.get("/org/units/999999/")
    assert missing.status_code == 404 and "辖区" in missing.content.decode()
