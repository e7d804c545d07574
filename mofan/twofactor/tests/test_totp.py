"""RFC 6238 appendix B test vectors for the TOTP function, and the ±1 step window."""

from __future__ import annotations

import base64

import pytest

from mofan.twofactor import totp

SHA1_KEY = b"12345678901234567890"
SHA256_KEY = b"12345678901234567890123456789012"
SHA512_KEY = b"1234567890123456789012345678901234567890123456789012345678901234"

VECTORS = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), VECTORS)
def test_rfc6238_vectors(at: int, sha1: str, sha256: str, sha512: str) -> None:
    step = totp.time_step(at)
    assert totp.hotp(SHA1_KEY, step, digits=8) == sha1
    assert totp.hotp(SHA256_KEY, step, digits=8, digest="sha256") == sha256
    assert totp.hotp(SHA512_KEY, step, digits=8, digest="sha512") == sha512


@pytest.mark.parametrize(("at", "sha1"), [(v[0], v[1]) for v in VECTORS])
def test_six_digit_code_from_base32_secret(at: int, sha1: str) -> None:
    secret = base64.b32encode(SHA1_KEY).decode()
    assert totp.code_at(secret, at) == sha1[-6:]
    assert totp.code_at(totp.grouped(secret).lower(), at) == sha1[-6:]


def test_window_is_one_step_either_side() -> None:
    secret = totp.new_secret()
    at = 1_700_000_000.0
    now = totp.time_step(at)
    assert totp.matching_step(secret, totp.code_at(secret, at), at=at) == now
    assert totp.matching_step(secret, totp.code_at(secret, at - 30), at=at) == now - 1
    assert totp.matching_step(secret, totp.code_at(secret, at + 30), at=at) == now + 1
    old, future = totp.code_at(secret, at - 60), totp.code_at(secret, at + 60)
    window = {totp.code_at(secret, at + d) for d in (-30, 0, 30)}
    if old not in window:
        assert totp.matching_step(secret, old, at=at) is None
    if future not in window:
        assert totp.matching_step(secret, future, at=at) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 34 5x", "１２３４５６", "12345٠"])
def test_malformed_codes_never_match(code: str) -> None:
    assert totp.matching_step(totp.new_secret(), code) is None


def test_secret_is_160_bits_base32_and_uri_carries_it() -> None:
    secret = totp.new_secret()
    assert len(base64.b32decode(secret + "=" * (-len(secret) % 8))) == 20
    uri = totp.provisioning_uri(secret, account="anquan", issuer="模范")
    assert uri.startswith("otpauth://totp/%E6%A8%A1%E8%8C%83%3Aanquan?secret=" + secret)
    assert "period=30" in uri and "digits=6" in uri and "algorithm=SHA1" in uri
