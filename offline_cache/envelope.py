"""Envelope encryption: each submission's personal data sealed to the hall's public key.

A fresh 256-bit data key per submission encrypts the payload with AES-256-GCM; the submission id and schema
version are its associated data, so a sealed payload cannot be moved to another submission unnoticed. The data
key is sealed to the hall's X25519 key: an ephemeral key pair, the shared secret stretched by HKDF-SHA256 into a
key-encryption key, AES-256-GCM again. The kiosk keeps no private key, so it cannot open what it sealed; a
stolen disk reveals nobody's data.

    >>> hall = HallKeyPair.generate()
    >>> sealed = seal(b'{"name": "..."}', hall.public_text, associated_data(submission_id, 3))
    >>> open_sealed(sealed, hall.private, associated_data(submission_id, 3))
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from offline_cache.errors import EnvelopeError  # defined with the package's other errors, importable from here

ENVELOPE_VERSION = 1
_KEK_INFO = b"kiosk envelope v1: data key"
_RAW = serialization.Encoding.Raw


def associated_data(submission_id: str, schema_version: int) -> bytes:
    return f"{submission_id}|{schema_version}".encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: object, what: str, size: int | None = None) -> bytes:
    try:
        data = base64.b64decode(str(text), validate=True)
    except ValueError:
        raise EnvelopeError(f"{what} is not base64") from None
    if size is not None and len(data) != size:
        raise EnvelopeError(f"{what} must be {size} bytes, not {len(data)}")
    return data


def public_key_from_text(text: str) -> X25519PublicKey:
    """The hall's public key as it is published: 32 raw bytes in base64."""
    return X25519PublicKey.from_public_bytes(_unb64(text, "hall public key", 32))


def _kek(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=ephemeral + recipient, info=_KEK_INFO).derive(shared)


def seal(plaintext: bytes, recipient_public_key: str, aad: bytes) -> dict[str, object]:
    """Encrypt ``plaintext`` so that only the holder of the hall's private key can read it."""
    recipient = public_key_from_text(recipient_public_key)
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(12)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, aad)
    ephemeral = X25519PrivateKey.generate()
    ephemeral_public = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    recipient_raw = recipient.public_bytes(_RAW, serialization.PublicFormat.Raw)
    kek = _kek(ephemeral.exchange(recipient), ephemeral_public, recipient_raw)
    key_nonce = os.urandom(12)
    sealed_key = AESGCM(kek).encrypt(key_nonce, data_key, aad)
    return {
        "v": ENVELOPE_VERSION,
        "alg": "X25519-HKDF-SHA256+A256GCM",
        "epk": _b64(ephemeral_public),
        "key_nonce": _b64(key_nonce),
        "sealed_key": _b64(sealed_key),
        "nonce": _b64(nonce),
        "ciphertext": _b64(ciphertext),
    }


def open_sealed(envelope: object, private_key: X25519PrivateKey, aad: bytes) -> bytes:
    """The plaintext of an envelope; :class:`EnvelopeError` if it is malformed, tampered with or not ours."""
    if not isinstance(envelope, dict) or envelope.get("v") != ENVELOPE_VERSION:
        raise EnvelopeError(f"not a version {ENVELOPE_VERSION} envelope")
    ephemeral_public = _unb64(envelope.get("epk"), "epk", 32)
    key_nonce = _unb64(envelope.get("key_nonce"), "key_nonce", 12)
    sealed_key = _unb64(envelope.get("sealed_key"), "sealed_key")
    nonce = _unb64(envelope.get("nonce"), "nonce", 12)
    ciphertext = _unb64(envelope.get("ciphertext"), "ciphertext")
    recipient_raw = private_key.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    try:
        shared = private_key.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        kek = _kek(shared, ephemeral_public, recipient_raw)
        data_key = AESGCM(kek).decrypt(key_nonce, sealed_key, aad)
        return AESGCM(data_key).decrypt(nonce, ciphertext, aad)
    except (InvalidTag, ValueError):
        raise EnvelopeError("the envelope does not open: wrong key, wrong submission or tampered") from None


@dataclass(frozen=True)
class HallKeyPair:
    """The hall's key pair. Only the hall holds ``private``; kiosks are given ``public_text``."""

    private: X25519PrivateKey

    @classmethod
    def generate(cls) -> HallKeyPair:
        return cls(X25519PrivateKey.generate())

    @classmethod
    def from_private_text(cls, text: str) -> HallKeyPair:
        return cls(X25519PrivateKey.from_private_bytes(_unb64(text, "hall private key", 32)))

    @property
    def private_text(self) -> str:
        raw = self.private.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())
        return _b64(raw)

    @property
    def public_text(self) -> str:
        return _b64(self.private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw))
