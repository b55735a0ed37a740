"""Session secret, CSRF tokens, the client's address behind trusted proxies, a per-address
login throttle, and the security headers of every response."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
import time
from collections import defaultdict, deque
from pathlib import Path


def secret_key(configured: str | None, var_dir: Path) -> str:
    """The configured key (BOUSSOLE_SECRET_KEY), or a random key kept in `var_dir` (the
    settings' var/) so that sessions survive a restart."""
    if configured:
        return configured
    path = Path(var_dir) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def csrf_token(session: dict) -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(session: dict, submitted: object) -> bool:
    """Compared as bytes: compare_digest refuses non-ASCII text (a 500 otherwise)."""
    expected = session.get("csrf")
    if not (isinstance(expected, str) and expected and isinstance(submitted, str)):
        return False
    return hmac.compare_digest(
        expected.encode("utf-8", "replace"), submitted.encode("utf-8", "replace")
    )


def trusted_proxies(value: str) -> list:
    """The networks of BOUSSOLE_TRUSTED_PROXIES (`Settings.trusted_proxies`): addresses or
    networks (comma-separated) of the reverse proxies whose X-Forwarded-For is believed. Empty
    by default: the header is then ignored."""
    networks = []
    for item in value.replace(";", ",").split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"BOUSSOLE_TRUSTED_PROXIES : « {item.strip()} » n'est ni une "
                    "adresse ni un réseau IP (exemple : 127.0.0.1, 10.0.0.0/24)"
                ) from None
    return networks


def _is_trusted(host: str | None, trusted: list) -> bool:
    try:
        address = ipaddress.ip_address((host or "").strip())
    except ValueError:
        return False
    return any(address in network for network in trusted)


def client_address(scope, trusted: list) -> str:
    """The address a login counts against: the connecting peer, or, from a trusted proxy, the
    last address of X-Forwarded-For that is not itself a trusted proxy."""
    host, port = tuple(scope.get("client") or ("?", 0))[:2]
    forwarded = []
    for name, value in scope.get("headers") or ():
        if name == b"x-forwarded-for":
            forwarded += [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
    # uvicorn --proxy-headers (python -m bot web) has already put a forwarded address in place
    # of the peer (port 0) when the peer was one of its FORWARDED_ALLOW_IPS: the peer is a
    # proxy, which one is lost.
    from_proxy = port == 0 and host in forwarded
    if not from_proxy and not _is_trusted(host, trusted):
        return host
    if not trusted:
        return "proxy"  # a proxy nobody configured: its header proves nothing
    for hop in reversed(forwarded):
        if not _is_trusted(hop, trusted):
            return hop
    return forwarded[0] if forwarded else host


class Throttle:
    """At most `limit` attempts per `window` seconds from one address."""

    def __init__(self, limit: int = 20, window: float = 300.0):
        self.limit, self.window = limit, window
        self._hits: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._hits) > 10_000:  # many addresses behind a proxy: forget the stale ones
                for stale in [
                    k for k, h in self._hits.items() if not h or now - h[-1] > self.window
                ]:
                    del self._hits[stale]
            hits = self._hits[key]
            while hits and now - hits[0] > self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            return True


# Every style and script comes from a file of this site (the widget's styles are a
# constructed style sheet); nothing may frame the pages.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class SecurityHeaders:
    """ASGI middleware adding SECURITY_HEADERS to every HTTP response, errors included."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message = dict(
                    message,
                    headers=list(message.get("headers", []))
                    + [header for header in SECURITY_HEADERS if header[0] not in names],
                )
            await send(message)

        await self.app(scope, receive, send_with_headers)
