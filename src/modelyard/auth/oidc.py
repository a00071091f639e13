"""Sign-in with Google, or any OpenID Connect provider through its discovery document.

The authorization code flow with PKCE (S256), `state` and `nonce`. Authlib builds the authorization and token
requests and checks the ID token's claims (issuer, audience, expiry, nonce, azp, at_hash); joserfc checks its
signature against the provider's JWKS. The three HTTP calls (discovery document, token endpoint, JWKS; the
userinfo endpoint only when the ID token carries no email) go through the gateway's pooled aiohttp client, to
the configured discovery URL and the endpoints it names, never following redirects.

Where the flow's secrets live between the redirect and the callback: in a cookie, encrypted and
authenticated (Fernet, with a key derived from the server's secret key for this purpose only), httpOnly and
valid ten minutes. Not on the server: every instance sharing MODELYARD_SECRET_KEY can finish a flow another
one started, with or without Redis, and there is nothing to store or sweep (during a rolling rotation, also
one sealed under a key in MODELYARD_SECRET_KEY_PREVIOUS). Encrypted, not only signed: the
PKCE verifier and the nonce stay unreadable even to whoever holds the cookie, and the state in the URL is
only accepted from the browser that holds the cookie (which is what makes a forged callback useless).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import quote, urlsplit

import aiohttp
import orjson
from authlib.oauth2.rfc6749.parameters import (  # type: ignore[import-untyped]
    prepare_grant_uri,
    prepare_token_request,
)
from authlib.oauth2.rfc7636 import create_s256_code_challenge  # type: ignore[import-untyped]
from authlib.oidc.core import CodeIDToken  # type: ignore[import-untyped]
from cryptography.fernet import InvalidToken, MultiFernet
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet, KeySetSerialization
from sqlalchemy.ext.asyncio import AsyncSession

from modelyard.accounts import service as accounts
from modelyard.config import Settings
from modelyard.errors import AppError
from modelyard.kit.clock import utcnow
from modelyard.kit.secrets import purpose_fernet
from modelyard.models import AuthSession, User

log = logging.getLogger(__name__)

SCOPE = "openid email profile"
FLOW_TTL_SECONDS = 600
# Discovery documents and key sets are re-read this often; a key set also when a token names an unknown
# key (a rotation), at most once per JWKS_MIN_REFRESH_SECONDS.
METADATA_TTL_SECONDS = 3600.0
JWKS_MIN_REFRESH_SECONDS = 60.0
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)
CLOCK_LEEWAY_SECONDS = 60
# Asymmetric signatures only: "none" and HMAC (keyed with the client secret) are never accepted.
SIGNING_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
# Google's ID tokens name their issuer either way (https://developers.google.com/identity/openid-connect).
_ISSUER_ALIASES = {"https://accounts.google.com": ("accounts.google.com",)}
_MAX_SUBJECT = 255  # users.google_id


@dataclass(frozen=True, slots=True)
class OidcConfig:
    client_id: str
    client_secret: str
    discovery_url: str
    provider_name: str
    link_verified_email: bool
    public_url: str | None

    @classmethod
    def from_settings(cls, settings: Settings) -> OidcConfig | None:
        """None when sign-in with a provider is off (no client id and secret)."""
        if settings.oidc_client_id is None or settings.oidc_client_secret is None:
            return None
        return cls(
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret.get_secret_value(),
            discovery_url=settings.oidc_discovery_url,
            provider_name=settings.oidc_provider_name,
            link_verified_email=settings.oidc_link_verified_email,
            public_url=settings.public_url,
        )

    def __repr__(self) -> str:  # the client secret never reaches a log line
        return f"OidcConfig(client_id={self.client_id!r}, discovery_url={self.discovery_url!r})"


@dataclass(frozen=True, slots=True)
class Flow:
    """One sign-in or link attempt, from the redirect to the provider until the callback."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    next_path: str
    # Set when a signed-in user asked to link the provider's account to theirs.
    link_user_id: int | None = None
    link_session_id: str | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    """What the provider vouches for, from a validated ID token (and its userinfo endpoint)."""

    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    picture: str | None


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str | None
    algorithms: tuple[str, ...]
    post_auth: bool  # the token endpoint takes client_secret_post only

    @classmethod
    def parse(cls, document: object) -> ProviderMetadata:
        if not isinstance(document, dict):
            raise ValueError("the discovery document is not a JSON object")
        issuer = document.get("issuer")
        if not isinstance(issuer, str) or not issuer:
            raise ValueError("the discovery document names no issuer")
        endpoints = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            endpoints[name] = _http_url(document.get(name), name)
        userinfo = document.get("userinfo_endpoint")
        advertised = document.get("id_token_signing_alg_values_supported")
        algorithms = tuple(
            alg
            for alg in (advertised if isinstance(advertised, list) else ["RS256"])
            if alg in SIGNING_ALGORITHMS
        )
        if not algorithms:
            raise ValueError("the provider signs ID tokens with no algorithm this server accepts")
        methods = document.get("token_endpoint_auth_methods_supported")
        post_only = (
            isinstance(methods, list)
            and "client_secret_basic" not in methods
            and "client_secret_post" in methods
        )
        return cls(
            issuer=issuer,
            authorization_endpoint=endpoints["authorization_endpoint"],
            token_endpoint=endpoints["token_endpoint"],
            jwks_uri=endpoints["jwks_uri"],
            userinfo_endpoint=_http_url(userinfo, "userinfo_endpoint") if userinfo else None,
            algorithms=algorithms,
            post_auth=post_only,
        )


class FlowSealer:
    """Seals a Flow into the cookie value and opens it again (Fernet: AES-CBC + HMAC, with a timestamp).
    Seals with the current key; opens what it or a previous key sealed."""

    def __init__(self, secret_key: str, previous_keys: Sequence[str] = ()) -> None:
        self._fernet = MultiFernet(
            [purpose_fernet(key, b"oidc-flow-cookie") for key in (secret_key, *previous_keys)]
        )

    def seal(self, flow: Flow) -> str:
        payload = {
            "s": flow.state,
            "n": flow.nonce,
            "v": flow.code_verifier,
            "r": flow.redirect_uri,
            "x": flow.next_path,
            "u": flow.link_user_id,
            "i": flow.link_session_id,
        }
        return self._fernet.encrypt(orjson.dumps(payload)).decode()

    def open(self, value: str) -> Flow:
        """Raises ValueError when the value was not sealed here, was changed or is older than the flow TTL."""
        try:
            data = orjson.loads(self._fernet.decrypt(value.encode(), ttl=FLOW_TTL_SECONDS))
            return Flow(
                state=str(data["s"]),
                nonce=str(data["n"]),
                code_verifier=str(data["v"]),
                redirect_uri=str(data["r"]),
                next_path=str(data["x"]),
                link_user_id=int(data["u"]) if data["u"] is not None else None,
                link_session_id=str(data["i"]) if data["i"] is not None else None,
            )
        except (InvalidToken, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise ValueError("not a valid sign-in flow") from None


class OidcClient:
    """The relying party: one per app, holding the provider's discovery document and keys once read."""

    def __init__(self, config: OidcConfig, secret_key: str, previous_keys: Sequence[str] = ()) -> None:
        self.config = config
        self.name = config.provider_name
        self.sealer = FlowSealer(secret_key, previous_keys)
        self._metadata: ProviderMetadata | None = None
        self._metadata_at = 0.0
        self._keys: KeySet | None = None
        self._keys_at = 0.0
        self._lock = asyncio.Lock()

    # The flow.

    async def begin(
        self,
        http: aiohttp.ClientSession,
        *,
        redirect_uri: str,
        next_path: str,
        link_user_id: int | None = None,
        link_session_id: str | None = None,
    ) -> tuple[str, Flow]:
        """(the provider's authorization URL to send the browser to, the flow to keep in its cookie)."""
        metadata = await self.metadata(http)
        flow = Flow(
            state=secrets.token_urlsafe(24),
            nonce=secrets.token_urlsafe(24),
            code_verifier=secrets.token_urlsafe(48),  # 64 characters of the RFC 7636 alphabet
            redirect_uri=redirect_uri,
            next_path=next_path,
            link_user_id=link_user_id,
            link_session_id=link_session_id,
        )
        url = prepare_grant_uri(
            metadata.authorization_endpoint,
            client_id=self.config.client_id,
            response_type="code",
            redirect_uri=redirect_uri,
            scope=SCOPE,
            state=flow.state,
            nonce=flow.nonce,
            code_challenge=create_s256_code_challenge(flow.code_verifier),
            code_challenge_method="S256",
        )
        return str(url), flow

    async def finish(self, http: aiohttp.ClientSession, flow: Flow, code: str) -> Identity:
        """Exchanges the code (with the PKCE verifier) and validates the ID token it comes with."""
        metadata = await self.metadata(http)
        tokens = await self._exchange(http, metadata, flow, code)
        id_token = tokens.get("id_token")
        access_token = tokens.get("access_token")
        if not isinstance(id_token, str) or not id_token:
            raise self._unavailable("the token endpoint answered without an ID token")
        claims = await self._validate(http, metadata, id_token, flow.nonce, access_token)
        identity = _identity(claims)
        if identity.email is None and metadata.userinfo_endpoint and isinstance(access_token, str):
            identity = await self._with_userinfo(http, metadata.userinfo_endpoint, access_token, identity)
        return identity

    # The provider's documents.

    async def metadata(self, http: aiohttp.ClientSession) -> ProviderMetadata:
        """The discovery document, read on first use and again after METADATA_TTL_SECONDS (the last good
        copy stays in use while the provider cannot be reached)."""
        if self._metadata is not None and time.monotonic() - self._metadata_at < METADATA_TTL_SECONDS:
            return self._metadata
        async with self._lock:
            if self._metadata is not None and time.monotonic() - self._metadata_at < METADATA_TTL_SECONDS:
                return self._metadata
            try:
                document = await self._get_json(http, self.config.discovery_url)
                self._metadata = ProviderMetadata.parse(document)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                log.warning(
                    "reading the OIDC discovery document %s failed: %s", self.config.discovery_url, exc
                )
                if self._metadata is None:
                    raise self._unavailable("its discovery document could not be read") from None
                self._metadata_at = _retry_soon()
                return self._metadata
            self._metadata_at = time.monotonic()
            return self._metadata

    async def _key_set(
        self, http: aiohttp.ClientSession, metadata: ProviderMetadata, *, refresh: bool
    ) -> KeySet:
        now = time.monotonic()
        stale = self._keys is None or now - self._keys_at >= METADATA_TTL_SECONDS
        rotated = refresh and now - self._keys_at >= JWKS_MIN_REFRESH_SECONDS
        if self._keys is not None and not stale and not rotated:
            return self._keys
        async with self._lock:
            if self._keys is not None and self._keys_at > now:  # another request just read them
                return self._keys
            try:
                document = await self._get_json(http, metadata.jwks_uri)
                if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
                    raise ValueError("the JWKS document holds no keys")
                self._keys = _signing_keys(document["keys"])
            except (aiohttp.ClientError, TimeoutError, ValueError, JoseError) as exc:
                log.warning("reading the OIDC key set %s failed: %s", metadata.jwks_uri, type(exc).__name__)
                if self._keys is None:
                    raise self._unavailable("its signing keys could not be read") from None
                self._keys_at = _retry_soon()
                return self._keys
            self._keys_at = time.monotonic()
            return self._keys

    async def _get_json(self, http: aiohttp.ClientSession, url: str, **headers: str) -> Any:
        async with http.get(
            url,
            headers={"Accept": "application/json", **headers},
            timeout=HTTP_TIMEOUT,
            allow_redirects=False,
        ) as response:
            if response.status != 200:
                raise ValueError(f"HTTP {response.status}")
            return orjson.loads(await response.read())

    # The token endpoint and the ID token.

    async def _exchange(
        self, http: aiohttp.ClientSession, metadata: ProviderMetadata, flow: Flow, code: str
    ) -> dict[str, Any]:
        client_id, client_secret = self.config.client_id, self.config.client_secret
        fields: dict[str, str] = {"code": code, "code_verifier": flow.code_verifier}
        headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
        if metadata.post_auth:
            fields |= {"client_id": client_id, "client_secret": client_secret}
        else:
            # RFC 6749 §2.3.1: both parts form-encoded before they are joined.
            pair = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        body = str(prepare_token_request("authorization_code", redirect_uri=flow.redirect_uri, **fields))
        try:
            async with http.post(
                metadata.token_endpoint,
                data=body,
                headers=headers,
                timeout=HTTP_TIMEOUT,
                allow_redirects=False,
            ) as response:
                status = response.status
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("the OIDC token endpoint could not be reached: %s", type(exc).__name__)
            raise self._unavailable("its token endpoint could not be reached") from None
        try:
            answer = orjson.loads(raw)
        except orjson.JSONDecodeError:
            answer = None
        if not isinstance(answer, dict):
            log.warning("the OIDC token endpoint answered HTTP %s without JSON", status)
            raise self._unavailable(f"its token endpoint answered HTTP {status}")
        if status != 200 or "error" in answer:
            error = safe_error_code(answer.get("error"))
            log.info("the OIDC token endpoint refused the code: HTTP %s %s", status, error)
            raise AppError(
                400,
                f"{self.name} did not accept the sign-in ({error}); start the sign-in again",
                metadata={"error_type": "authentication", "provider_error": error},
            )
        return answer

    async def _validate(
        self,
        http: aiohttp.ClientSession,
        metadata: ProviderMetadata,
        id_token: str,
        nonce: str,
        access_token: object,
    ) -> dict[str, Any]:
        try:
            header = jws.extract_compact(id_token.encode()).headers()
        except (JoseError, ValueError):
            raise self._invalid("it is not a signed JWT") from None
        if header.get("alg") not in metadata.algorithms:
            raise self._invalid(f"it is signed with {header.get('alg')!r}, not an accepted algorithm")
        kid = header.get("kid")
        keys = await self._key_set(http, metadata, refresh=False)
        if kid is not None and not any(key.kid == kid for key in keys.keys):
            keys = await self._key_set(http, metadata, refresh=True)  # the provider may have rotated its keys
        candidates = [key for key in keys.keys if kid is None or key.kid == kid]
        token: jwt.Token | None = None
        for key in candidates:
            try:
                token = jwt.decode(id_token, key, algorithms=list(metadata.algorithms))
                break
            except (BadSignatureError, JoseError, ValueError):
                continue
        if token is None:
            raise self._invalid("its signature does not match the provider's keys")
        issuers = [metadata.issuer, *_ISSUER_ALIASES.get(metadata.issuer, ())]
        checks = CodeIDToken(
            token.claims,
            token.header,
            {
                "iss": {"essential": True, "values": issuers},
                "aud": {"essential": True, "value": self.config.client_id},
                "sub": {"essential": True},
                "nonce": {"essential": True, "value": nonce},
            },
            {
                "nonce": nonce,
                "client_id": self.config.client_id,
                "access_token": access_token if isinstance(access_token, str) else None,
            },
        )
        try:
            checks.validate(leeway=CLOCK_LEEWAY_SECONDS)
        except ExpiredTokenError:
            raise self._invalid("it has expired") from None
        except (InvalidClaimError, MissingClaimError) as exc:
            claim = str(getattr(exc, "claim", "") or "a claim")
            raise self._invalid(f"its {claim} claim is {_missing_or_wrong(exc)}") from None
        except JoseError:
            raise self._invalid("its claims are not valid") from None
        claims: dict[str, Any] = dict(token.claims)
        if not isinstance(claims.get("sub"), str) or len(claims["sub"]) > _MAX_SUBJECT:
            raise self._invalid("its subject is not usable")
        return claims

    async def _with_userinfo(
        self, http: aiohttp.ClientSession, url: str, access_token: str, identity: Identity
    ) -> Identity:
        try:
            info = await self._get_json(http, url, Authorization=f"Bearer {access_token}")
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("the OIDC userinfo endpoint failed: %s", type(exc).__name__)
            return identity
        if not isinstance(info, dict) or info.get("sub") != identity.subject:
            return identity  # the spec: userinfo for another subject must not be used
        merged = _identity({**info, "sub": identity.subject})
        return Identity(
            subject=identity.subject,
            email=merged.email,
            email_verified=merged.email_verified,
            name=identity.name or merged.name,
            picture=identity.picture or merged.picture,
        )

    def _unavailable(self, why: str) -> AppError:
        return AppError(
            502, f"{self.name} sign-in is unavailable right now: {why}", metadata={"error_type": "upstream"}
        )

    def _invalid(self, why: str) -> AppError:
        return AppError(
            401,
            f"The {self.name} ID token was refused: {why}. Start the sign-in again",
            metadata={"error_type": "authentication"},
        )


# What the callback does with a validated identity.


async def sign_in_user(
    db: AsyncSession, identity: Identity, *, config: OidcConfig, signup_mode: str
) -> tuple[User, bool]:
    """The account this identity signs in to, linked or created as the rules allow: (the user, created).

    An account already linked to the subject signs in. Otherwise an account with the same email is linked
    only when the operator enabled it (MODELYARD_OIDC_LINK_VERIFIED_EMAIL) and the provider verified the
    address: else anyone who can make an account with someone's address at some provider would get in.
    Otherwise a new account (without password) is made when sign-up is open."""
    name = config.provider_name
    user = await accounts.find_by_google_id(db, identity.subject)
    if user is not None:
        _check_active(user)
        return user, False
    if not identity.email:
        raise AppError(
            400,
            f"{name} did not share an email address: allow access to it and sign in again",
            metadata={"error_type": "authentication"},
        )
    existing = await accounts.find_by_email(db, identity.email)
    if existing is not None:
        if not config.link_verified_email:
            raise AppError(
                409,
                f"An account with the email {existing.email} already exists. Sign in to it (with its "
                f"password) and link {name} from the account settings",
                metadata={"error_type": "account_exists", "email": existing.email},
            )
        if not identity.email_verified:
            raise AppError(
                409,
                f"An account with the email {existing.email} already exists, and {name} has not verified "
                f"that address: sign in with the password and link {name} from the account settings",
                metadata={"error_type": "account_exists", "email": existing.email},
            )
        _check_active(existing)
        await _link(db, existing, identity, name)
        _fill_profile(existing, identity)
        return existing, False
    if signup_mode != "open":
        raise AppError(
            403,
            "Sign-up is closed on this server; ask its operator for an account"
            if signup_mode == "closed"
            else f"Sign-up needs an invitation on this server; a {name} sign-in cannot make a new account",
            metadata={"error_type": "permission_denied"},
        )
    if not identity.email_verified:
        raise AppError(
            403,
            f"{name} has not verified the email address {identity.email}; verify it there and sign in again",
            metadata={"error_type": "permission_denied"},
        )
    try:
        user = await accounts.create_google_user(
            db, identity.email, identity.subject, display_name=identity.name, avatar_url=_avatar(identity)
        )
    except accounts.AccountError as exc:
        raise AppError(
            409 if "already" in str(exc) else 400, str(exc), metadata={"field": exc.field}
        ) from None
    return user, True


async def link_for_session(
    db: AsyncSession, identity: Identity, *, user_id: int, session_id: str, provider_name: str
) -> User:
    """Links the identity to the account whose session started the link flow, if that session is still on."""
    row = await db.get(AuthSession, session_id)
    if row is None or row.user_id != user_id or row.revoked_at is not None or row.expires_at <= utcnow():
        raise AppError(
            401,
            "The session that started linking has ended; sign in and start again",
            metadata={"error_type": "authentication"},
        )
    user = await db.get(User, user_id, with_for_update=True)
    if user is None:
        raise AppError(401, "This account no longer exists", metadata={"error_type": "authentication"})
    _check_active(user)
    await _link(db, user, identity, provider_name)
    _fill_profile(user, identity)
    return user


async def _link(db: AsyncSession, user: User, identity: Identity, name: str) -> None:
    try:
        await accounts.link_google(db, user, identity.subject)
    except accounts.GoogleLinkConflict as exc:
        raise AppError(409, f"{name}: {exc}", metadata={"error_type": "conflict"}) from None


def _check_active(user: User) -> None:
    if not user.is_active:
        raise AppError(403, "This account is disabled", metadata={"error_type": "permission_denied"})


def _fill_profile(user: User, identity: Identity) -> None:
    if user.display_name is None and identity.name:
        user.display_name = identity.name.strip()[:200] or None
    if user.avatar_url is None:
        user.avatar_url = _avatar(identity)


def _avatar(identity: Identity) -> str | None:
    picture = identity.picture
    if picture and len(picture) <= 2000 and picture.startswith("https://"):
        return picture
    return None


def _identity(claims: dict[str, Any]) -> Identity:
    def text(name: str) -> str | None:
        value = claims.get(name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    verified = claims.get("email_verified")
    return Identity(
        subject=str(claims["sub"]),
        email=text("email"),
        email_verified=verified is True or (isinstance(verified, str) and verified.lower() == "true"),
        name=text("name"),
        picture=text("picture"),
    )


def _signing_keys(entries: list[Any]) -> KeySet:
    """The public signature keys of a JWKS document; one this library cannot read is left out, not fatal."""
    keys = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig" or entry.get("kty") == "oct":
            continue
        try:
            keys.extend(KeySet.import_key_set(cast(KeySetSerialization, {"keys": [entry]})).keys)
        except (JoseError, ValueError, TypeError, KeyError):
            log.warning("skipping a key of the OIDC key set that cannot be read (kid %r)", entry.get("kid"))
    if not keys:
        raise ValueError("the JWKS document holds no usable signing key")
    return KeySet(keys)


def _retry_soon() -> float:
    """The fetch time that makes a copy kept after a failed re-read be tried again in a minute."""
    return time.monotonic() - METADATA_TTL_SECONDS + JWKS_MIN_REFRESH_SECONDS


def _http_url(value: object, name: str) -> str:
    if (
        not isinstance(value, str)
        or urlsplit(value).scheme not in ("http", "https")
        or not urlsplit(value).netloc
    ):
        raise ValueError(f"the discovery document's {name} is not an http(s) URL")
    return value


def safe_error_code(value: object) -> str:
    """An OAuth error code as the provider sent it, reduced to its alphabet (it is shown to the user)."""
    text = value if isinstance(value, str) else "error"
    return "".join(c for c in text[:64] if c.isascii() and (c.isalnum() or c in "_-.")) or "error"


def _missing_or_wrong(exc: JoseError) -> str:
    return "missing" if isinstance(exc, MissingClaimError) else "wrong"
