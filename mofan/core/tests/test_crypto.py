import pytest

from mofan.core import crypto


@pytest.mark.django_db
def test_encrypt_roundtrip_and_randomised() -> None:
    a = crypto.encrypt("11010519491231002X")
    b = crypto.encrypt("11010519491231002X")
    assert a != b
    assert crypto.decrypt(a) == "11010519491231002X"
    assert "11010519491231002X" not in a


def test_tampering_is_detected() -> None:
    sealed = crypto.encrypt("secret")
    raw = bytearray(__import__("base64").b64decode(sealed))
    raw[-1] ^= 1
    with pytest.raises(Exception):  # noqa: B017 - cryptography raises InvalidTag
        crypto.decrypt(__import__("base64").b64encode(bytes(raw)).decode())


def test_blind_index_is_stable_and_keyed() -> None:
    assert crypto.blind_index("x") == crypto.blind_index("x")
    assert crypto.blind_index("x") != crypto.blind_index("y")
