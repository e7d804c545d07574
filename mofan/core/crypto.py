"""Confidentiality of personal data at rest with the national algorithms (SM4-GCM, HMAC-SM3).

``encrypt``/``decrypt`` seal a short string; ``blind_index`` gives a keyed digest so that an encrypted
column can still be looked up and kept unique without storing the clear value.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings

_VERSION = b"\x01"


@lru_cache(maxsize=4)
def _keys(material: str) -> tuple[bytes, bytes]:
    digest = hashes.Hash(hashes.SM3())
    digest.update(material.encode())
    root = digest.finalize()  # 32 bytes: half for SM4, half for HMAC
    return root[:16], root[16:]


def _current_keys() -> tuple[bytes, bytes]:
    return _keys(settings.MOFAN_DATA_KEY)


def encrypt(clear: str) -> str:
    enc_key, _ = _current_keys()
    nonce = os.urandom(12)
    encryptor = Cipher(algorithms.SM4(enc_key), modes.GCM(nonce)).encryptor()
    body = encryptor.update(clear.encode()) + encryptor.finalize()
    return base64.b64encode(_VERSION + nonce + encryptor.tag + body).decode()


def decrypt(sealed: str) -> str:
    enc_key, _ = _current_keys()
    raw = base64.b64decode(sealed)
    if raw[:1] != _VERSION:
        raise ValueError("unknown ciphertext version")
    nonce, tag, body = raw[1:13], raw[13:29], raw[29:]
    decryptor = Cipher(algorithms.SM4(enc_key), modes.GCM(nonce, tag)).decryptor()
    return (decryptor.update(body) + decryptor.finalize()).decode()


def blind_index(clear: str) -> str:
    _, mac_key = _current_keys()
    mac = hmac.HMAC(mac_key, hashes.SM3())
    mac.update(clear.encode())
    return mac.finalize().hex()
