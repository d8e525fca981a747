"""How the collector checks that a push comes from the camera, per vendor's documented scheme.

Schemes: ``none``; ``header`` (a fixed header, e.g. Plate Recognizer Stream's ``webhook_header``
``Authorization: Token ...`` or an API key header); ``basic`` (HTTP basic, Axis/Genetec/Flock);
``bearer`` (a static bearer token, the RFP evaluation API); ``oauth2`` (Flock's client-credentials:
Flock fetches a token from the collector's ``/oauth/token`` with the subscription's client id and
secret, then sends it as a bearer token); ``verkada-signature`` (``Verkada-Signature:
<ts>|<hex HMAC-SHA256(secret, body|ts)>``, timestamps older than the tolerance refused).

Secrets come from the environment (``CollectorAuth.from_env``), never from the plan.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

SCHEMES = ("none", "header", "basic", "bearer", "oauth2", "verkada-signature")
VERKADA_TOLERANCE_S = 300.0
TOKEN_LIFETIME_S = 86_400.0


class AuthError(Exception):
    """The push is not authenticated; the message says why (never the secret)."""


@dataclass
class CollectorAuth:
    """One format route's authentication."""

    scheme: str = "none"
    header: str = "Authorization"
    """For ``header``: the header name."""
    secret: str = ""
    """``header``: the exact value; ``basic``: ``user:password``; ``bearer``: the token;
    ``oauth2``: ``client_id:client_secret``; ``verkada-signature``: the shared secret."""
    _tokens: dict[str, float] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.scheme not in SCHEMES:
            raise ValueError(f"auth scheme must be one of {', '.join(SCHEMES)}, got {self.scheme!r}")
        if self.scheme != "none" and not self.secret:
            raise ValueError(f"auth scheme {self.scheme!r} needs a secret")

    def check(self, headers: Mapping[str, str], body: bytes, now: float | None = None) -> None:
        """Raise :class:`AuthError` unless the request is authenticated (``headers`` lower-case keys)."""
        now = time.time() if now is None else now
        if self.scheme == "none":
            return
        if self.scheme == "verkada-signature":
            self._check_verkada(headers.get("verkada-signature", ""), body, now)
            return
        if self.scheme == "header":
            if not hmac.compare_digest(headers.get(self.header.lower(), "").encode(), self.secret.encode()):
                raise AuthError(f"header {self.header} missing or wrong")
            return
        given = headers.get("authorization", "")
        if self.scheme == "basic":
            expected = "Basic " + base64.b64encode(self.secret.encode()).decode()
            if not hmac.compare_digest(given.encode(), expected.encode()):
                raise AuthError("HTTP basic credentials missing or wrong")
            return
        token = given[7:] if given.lower().startswith("bearer ") else ""
        if self.scheme == "bearer":
            if not token or not hmac.compare_digest(token.encode(), self.secret.encode()):
                raise AuthError("bearer token missing or wrong")
            return
        expiry = self._tokens.get(token)  # oauth2
        if expiry is None or expiry < now:
            raise AuthError("bearer token missing, unknown or expired (get one from /oauth/token)")

    def _check_verkada(self, header: str, body: bytes, now: float) -> None:
        stamp, _, signature = header.partition("|")
        if not stamp or not signature:
            raise AuthError("Verkada-Signature header missing or not '<timestamp>|<signature>'")
        try:
            sent = float(stamp)
        except ValueError:
            raise AuthError("Verkada-Signature timestamp is not a number") from None
        if abs(now - sent) > VERKADA_TOLERANCE_S:
            raise AuthError(f"Verkada-Signature timestamp is more than {VERKADA_TOLERANCE_S:.0f} s from now")
        if not hmac.compare_digest(signature.strip().encode(), verkada_signature(self.secret, body, stamp).encode()):
            raise AuthError("Verkada-Signature does not match the body")

    def issue_token(self, client_id: str, client_secret: str, now: float | None = None) -> str:
        """OAuth2 client-credentials grant: a fresh token for the right client, else :class:`AuthError`."""
        if self.scheme != "oauth2":
            raise AuthError("this route does not use OAuth2")
        if not hmac.compare_digest(f"{client_id}:{client_secret}".encode(), self.secret.encode()):
            raise AuthError("invalid client credentials")
        now = time.time() if now is None else now
        self._tokens = {t: e for t, e in self._tokens.items() if e >= now}
        token = secrets.token_urlsafe(32)
        self._tokens[token] = now + TOKEN_LIFETIME_S
        return token

    @classmethod
    def from_env(cls, spec: str, env: Mapping[str, str]) -> CollectorAuth:
        """``scheme`` or ``scheme:ENV_VAR`` or ``header:Header-Name:ENV_VAR``; the secret is read from
        the environment variable."""
        parts = spec.split(":")
        scheme = parts[0]
        if scheme == "none":
            return cls()
        header = "Authorization"
        if scheme == "header" and len(parts) == 3:
            header = parts[1]
        variable = parts[-1] if len(parts) > 1 else ""
        if not variable or variable not in env:
            raise ValueError(f"auth {scheme!r} needs its secret in an environment variable (got {variable or 'none'})")
        return cls(scheme, header, env[variable])


def verkada_signature(secret: str, body: bytes, stamp: str) -> str:
    """Verkada's documented signature of ``body`` sent at ``stamp``."""
    return hmac.new(secret.encode(), body + b"|" + stamp.encode(), hashlib.sha256).hexdigest()


def client_headers(auth: CollectorAuth, body: bytes, now: float | None = None, token: str | None = None) -> dict[str, str]:
    """The headers a sender (the simulated edge device) adds to authenticate under ``auth``."""
    now = time.time() if now is None else now
    if auth.scheme == "header":
        return {auth.header: auth.secret}
    if auth.scheme == "basic":
        return {"Authorization": "Basic " + base64.b64encode(auth.secret.encode()).decode()}
    if auth.scheme == "bearer":
        return {"Authorization": f"Bearer {auth.secret}"}
    if auth.scheme == "oauth2":
        if token is None:
            raise ValueError("oauth2 needs a token from the collector's /oauth/token")
        return {"Authorization": f"Bearer {token}"}
    if auth.scheme == "verkada-signature":
        stamp = str(int(now))
        return {"Verkada-Signature": f"{stamp}|{verkada_signature(auth.secret, body, stamp)}"}
    return {}
