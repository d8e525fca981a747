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
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from harness.errors import UserError
from harness.scorecard.integrity import canonical_bytes, seal
from harness.scorecard.integrity import verify as verify_hash

ALG = "ed25519"


class SigningKeyError(UserError, ValueError):
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


_PEM_BLOCK = re.compile(rb"-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----", re.DOTALL)


def load_trusted_keys(path: Path) -> list[Ed25519PublicKey]:
    """Every key in a trusted-keys file: one or more PEM public keys, and/or base64 raw keys one per
    line (``#`` starts a comment). A file from ``platebench keygen`` is a trusted-keys file of one key."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"cannot read public key {path}: {exc.strerror or exc}") from None
    keys: list[Ed25519PublicKey] = []
    for block in _PEM_BLOCK.findall(raw):
        try:
            key = serialization.load_pem_public_key(block)
        except ValueError as exc:
            raise SigningKeyError(f"{path} holds a PEM block that is not a public key: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise SigningKeyError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
        keys.append(key)
    rest = _PEM_BLOCK.sub(b"", raw).decode("utf-8", errors="replace")
    for number, line in enumerate(rest.splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            keys.append(Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True)))
        except (binascii.Error, ValueError):
            raise SigningKeyError(
                f"{path}: line {number} is neither part of a PEM public key nor the base64 of a raw Ed25519 key"
            ) from None
    if not keys:
        raise SigningKeyError(f"{path} holds no public key")
    return keys


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


@dataclass(frozen=True)
class SignatureStatus:
    """Who signed a scorecard, as far as the reader can tell.

    ``unsigned``: no signature; ``verified``: signed with a key the reader trusts (``--public-key``);
    ``unverified``: a valid signature, but with a key the reader did not give as trusted (anyone can
    re-sign an edited scorecard with their own key, so this proves nothing about who signed).
    """

    state: Literal["unsigned", "verified", "unverified"]
    signer: str | None = None
    """Fingerprint (``SHA256:...``) of the key that made the signature."""
    reason: str = ""
    """Why an ``unverified`` signature is not verified."""

    def text(self) -> str:
        """The status in one phrase, as every report writes it."""
        if self.state == "unsigned":
            return "not signed"
        if self.state == "verified":
            return f"signed by {self.signer}, verified against the city's key"
        return f"signed by {self.signer}, signature NOT verified ({self.reason})"

    def trust_problems(self) -> list[str]:
        """What fails when the reader demanded a trusted signature (``--public-key`` given)."""
        if self.state == "unsigned":
            return ["missing signature: a public key was given but the scorecard is not signed"]
        if self.state == "unverified":
            return [f"wrong key: {self.reason}"]
        return []


@dataclass
class Verdict:
    """What :func:`check` found: ``problems`` (empty = intact), ``status`` (who signed) and
    ``notes`` (facts to print)."""

    status: SignatureStatus
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


def check(doc: dict[str, Any], trusted: Sequence[Ed25519PublicKey] = ()) -> Verdict:
    """Check the integrity hash and, where present, the signature, and who made it.

    Problems (the document is not what was sealed or signed) are worded ``integrity hash
    mismatch`` or ``signature invalid``. A valid signature is ``verified`` only when its key is one
    of ``trusted``; otherwise it is ``unverified`` and says why.
    """
    problems = verify_hash(doc)
    integrity = doc.get("integrity") if isinstance(doc, dict) else None
    signature = integrity.get("signature") if isinstance(integrity, dict) else None
    if signature is None:
        return Verdict(SignatureStatus("unsigned"), problems)
    parsed = _embedded(signature)
    if isinstance(parsed, str):
        return Verdict(SignatureStatus("unverified", None, "the signature is malformed"), [*problems, parsed])
    public, value = parsed
    signer = fingerprint(public)
    if not _signature_valid(public, value, canonical_bytes(doc)):
        problems.append("signature invalid: it does not match the content (the scorecard was changed after signing)")
        return Verdict(SignatureStatus("unverified", signer, "the signature does not match the content"), problems)
    keys = {raw_public_key(k): fingerprint(k) for k in trusted}
    if public in keys:
        return Verdict(SignatureStatus("verified", signer), problems, [f"signature valid: signed by the trusted key {signer}"])
    if keys:
        reason = f"{signer} is not a trusted key ({', '.join(keys.values())})"
    else:
        reason = "no trusted key was given to check it against; pass --public-key"
    return Verdict(SignatureStatus("unverified", signer, reason), problems, [f"signature present, {reason}"])
