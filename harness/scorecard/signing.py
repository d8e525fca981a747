"""Ed25519 signatures over a scorecard's canonical form, made and checked with a city's key.

A signature covers the same ``platebench-c14n-1`` bytes as the integrity hash
(:func:`harness.scorecard.integrity.canonical_bytes`), so reordering keys or changing whitespace
keeps it valid and changing any value breaks it. The signed document carries the signer's public
key, but that proves nothing on its own (anyone can re-sign an edited scorecard with their own
key): only a check against a public key the reader already trusts (:func:`check`) says who
signed. See ``docs/signing.md``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from harness.scorecard.integrity import canonical_bytes, register_signature_checker, seal
from harness.scorecard.integrity import verify as verify_hash

ALG = "ed25519"


class SigningKeyError(ValueError):
    """A key file is missing, unreadable or not an Ed25519 key; the message says which."""


def keygen(prefix: Path) -> tuple[Path, Path]:
    """Write a new key pair: ``PREFIX.key`` (PEM PKCS#8, mode 0600) and ``PREFIX.pub`` (PEM SPKI).

    Refuses to overwrite an existing file.
    """
    key_path, pub_path = Path(f"{prefix}.key"), Path(f"{prefix}.pub")
    for path in (key_path, pub_path):
        if path.exists():
            raise SigningKeyError(f"{path} already exists; not overwriting a key")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    os.chmod(key_path, 0o600)  # whatever the umask
    pub_path.write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return key_path, pub_path


def load_private_key(path: Path) -> Ed25519PrivateKey:
    """The Ed25519 private key in a PEM (PKCS#8) file."""
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except OSError as exc:
        raise SigningKeyError(f"cannot read key {path}: {exc.strerror or exc}") from None
    except (ValueError, TypeError) as exc:
        raise SigningKeyError(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file, or a file holding the base64 of the raw 32 bytes."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"cannot read public key {path}: {exc.strerror or exc}") from None
    if b"-----BEGIN" in raw:
        try:
            key = serialization.load_pem_public_key(raw)
        except ValueError as exc:
            raise SigningKeyError(f"{path} is not a PEM public key: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
        return key
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(raw.strip(), validate=True))
    except (binascii.Error, ValueError):
        raise SigningKeyError(
            f"{path} is neither a PEM public key nor the base64 of a raw Ed25519 key"
        ) from None


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a public key."""
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(key: Ed25519PublicKey | bytes) -> str:
    """A short name for a public key: ``SHA256:`` + the first 16 hex digits of sha256(raw key)."""
    raw = key if isinstance(key, bytes) else raw_public_key(key)
    return "SHA256:" + hashlib.sha256(raw).hexdigest()[:16]


def sign(doc: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """A re-sealed copy of ``doc`` carrying an Ed25519 signature over its canonical form."""
    sealed = seal(doc)
    value = key.sign(canonical_bytes(sealed))
    sealed["integrity"]["signature"] = {
        "alg": ALG,
        "public_key": base64.b64encode(raw_public_key(key.public_key())).decode("ascii"),
        "value": base64.b64encode(value).decode("ascii"),
    }
    return sealed


@dataclass
class Verdict:
    """What :func:`check` found: ``problems`` (empty = accepted) and ``notes`` (facts to print)."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _embedded(signature: Any) -> tuple[bytes, bytes] | str:
    """(raw public key, signature bytes) from ``integrity.signature``, or what is wrong with it."""
    if not isinstance(signature, dict):
        return "signature invalid: integrity.signature is not an object"
    if signature.get("alg") != ALG:
        return f"signature invalid: unsupported algorithm {signature.get('alg')!r} (expected {ALG})"
    try:
        public = base64.b64decode(str(signature.get("public_key", "")), validate=True)
        value = base64.b64decode(str(signature.get("value", "")), validate=True)
    except binascii.Error:
        return "signature invalid: public_key or value is not base64"
    if len(public) != 32:
        return "signature invalid: the embedded public key is not 32 bytes"
    return public, value


def _signature_valid(public: bytes, value: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(value, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _self_consistency(doc: dict[str, Any], canonical: bytes) -> list[str]:
    """Integrity checker: a signature present must at least verify against its own embedded key."""
    parsed = _embedded(doc["integrity"].get("signature"))
    if isinstance(parsed, str):
        return [parsed]
    public, value = parsed
    if not _signature_valid(public, value, canonical):
        return ["signature invalid: it does not match the content (the scorecard was changed after signing)"]
    return []


register_signature_checker(_self_consistency)


def check(doc: dict[str, Any], trusted: Ed25519PublicKey | None = None) -> Verdict:
    """Check the integrity hash and, where present, the signature; against ``trusted`` when given.

    Problems are worded by kind: ``integrity hash mismatch``, ``signature invalid``, ``wrong key``,
    ``missing signature``. Without ``trusted`` a valid signature is reported as present but not
    checked against a trusted key (it only shows the document was not changed since *someone* signed).
    """
    verdict = Verdict(problems=verify_hash(doc))
    integrity = doc.get("integrity") if isinstance(doc, dict) else None
    signature = integrity.get("signature") if isinstance(integrity, dict) else None
    if signature is None:
        if trusted is not None:
            verdict.problems.append(
                f"missing signature: a public key ({fingerprint(trusted)}) was given but the scorecard is not signed"
            )
        return verdict
    parsed = _embedded(signature)
    if isinstance(parsed, str):
        return verdict  # verify_hash already reported it through the registered checker
    public, value = parsed
    if trusted is None:
        verdict.notes.append(
            f"signature present (key {fingerprint(public)}) but not checked against a trusted key; "
            "pass --public-key to check who signed"
        )
        return verdict
    if public != raw_public_key(trusted):
        verdict.problems.append(
            f"wrong key: signed by {fingerprint(public)}, not by the given public key {fingerprint(trusted)}"
        )
    elif not _signature_valid(raw_public_key(trusted), value, canonical_bytes(doc)):
        if not any(p.startswith("signature invalid") for p in verdict.problems):
            verdict.problems.append("signature invalid: it does not match the content")
    else:
        verdict.notes.append(f"signature valid: signed by the given key {fingerprint(trusted)}")
    return verdict
