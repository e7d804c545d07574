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
