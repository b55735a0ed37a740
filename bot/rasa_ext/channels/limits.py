"""Bounds on what one client can make a Rasa process do, shared by every channel.

- messages longer than `settings.MAX_INPUT_CHARS` are answered `TOO_LONG` and go no further;
- the REST channel also counts messages per client address (`AddressOf`, `LocalLimiter` or
  `RedisLimiter`), so that a new sender id per message does not escape its flood guard;
- `TurnGate`: at most `MAX_CONCURRENT_TURNS` turns at once in the process, of which
  `MAX_HEAVY_TURNS` long ones; one conversation's turns queue behind each other before taking a
  place, so one person cannot hold them all. A turn that finds no place within
  `TURN_WAIT_SECONDS` is refused (`Busy`) with a polite answer rather than left waiting.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from bot import settings

RATE_LIMITED = (
    "Vous m'envoyez beaucoup de messages très vite : je ne peux pas tous les suivre. "
    "Attendez quelques secondes, puis renvoyez votre dernier message."
)
BUSY = (
    "Beaucoup de personnes m'écrivent en ce moment et je n'ai pas pu lire votre message. "
    "Votre conversation est conservée : renvoyez-le dans quelques secondes."
)


def french_number(n: int) -> str:
    """10000 → "10 000" (narrow no-break space, as French typography wants)."""
    return f"{n:,}".replace(",", "\u202f")


TOO_LONG = (
    f"Votre message est trop long ({french_number(settings.MAX_INPUT_CHARS)} "
    "caractères au plus) : je ne l'ai pas lu. Pouvez-vous résumer votre projet en "
    "quelques phrases ?"
)


def too_long(text: object) -> bool:
    return isinstance(text, str) and len(text) > settings.MAX_INPUT_CHARS


def parse_rate(raw: str, variable: str) -> tuple[int, float]:
    """`"20/60"` → (20, 60.0): messages per window of seconds."""
    try:
        limit, window = raw.split("/")
        return int(limit), float(window)
    except ValueError as exc:
        raise ValueError(
            f"{variable} attendu sous la forme MESSAGES/SECONDES, par exemple "
            f"20/60 (reçu : {raw!r})"
        ) from exc


class LocalLimiter:
    """At most `limit` messages per `window` seconds per key, counted in this process.

    A key's window opens with its first message. The oldest keys are forgotten beyond `size`.
    """

    def __init__(self, limit: int, window: float, size: int = 50000):
        self.limit, self.window, self.size = limit, window, size
        self._counts: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def hit(self, key: str) -> tuple[int, float]:
        """Count one message for `key`: its rank in the key's window, and the window's age."""
        now = time.monotonic()
        start, count = self._counts.pop(key, (now, 0))
        start, count = (start, count + 1) if now - start < self.window else (now, 1)
        self._counts[key] = (start, count)
        if len(self._counts) > self.size:
            self._counts.popitem(last=False)
        return count, now - start

    def check(self, key: str) -> float:
        """0 when the message may go on, else the seconds to wait."""
        count, age = self.hit(key)
        return 0.0 if count <= self.limit else max(1.0, self.window - age)


class RedisLimiter:
    """Fixed-window counter per key in Redis, shared by all replicas (keys hold a hash)."""

    def __init__(self, redis_url: str, limit: int, window: float, kind: str = ""):
        import redis

        self.client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self.limit, self.window = limit, window
        self.prefix = f"boussole:rate:{kind + ':' if kind else ''}"

    def check(self, key: str) -> float:
        """0 when the message may go on, else the seconds to wait. Raises on Redis errors."""
        now = time.time()
        bucket = int(now // self.window)
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
        redis_key = f"{self.prefix}{digest}:{bucket}"
        pipe = self.client.pipeline()
        pipe.incr(redis_key)
        pipe.expire(redis_key, int(self.window) + 1)
        count, _ = pipe.execute()
        if count <= self.limit:
            return 0.0
        return max(1.0, (bucket + 1) * self.window - now)


class AddressOf:
    """The client address of a request, reading X-Forwarded-For only from trusted proxies.

    The peer is the client unless it is a trusted proxy; then the client is the last address of
    X-Forwarded-For that is not a trusted proxy (entries to its left can be forged by the
    client). None — not counted per address — when no client beyond this machine is named:
    every hop is a trusted proxy, or the peer is a loopback address (the widget's relay, a
    local proxy not listed as trusted, a test: counting them together would refuse everyone).
    """

    def __init__(self, trusted: Iterable[str]):
        self.networks = []
        for entry in (t.strip() for t in trusted if t and t.strip()):
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(
                    f"BOUSSOLE_TRUSTED_PROXIES : « {entry} » n'est ni une adresse "
                    "ni un réseau IP (par exemple 127.0.0.1 ou 10.0.0.0/8)"
                ) from None

    @classmethod
    def from_setting(cls, raw: str) -> AddressOf:
        return cls(raw.split(","))

    @staticmethod
    def _ip(address: str):
        try:
            ip = ipaddress.ip_address(address.strip().strip("[]"))
        except ValueError:
            return None
        return ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped else ip

    def trusted(self, address: str) -> bool:
        ip = self._ip(address)
        return ip is not None and any(ip in net for net in self.networks)

    def __call__(self, peer: str, forwarded_for: str | None) -> str | None:
        if not self.trusted(peer):
            ip = self._ip(peer)
            return None if ip is not None and ip.is_loopback else peer
        for hop in reversed([h.strip() for h in (forwarded_for or "").split(",") if h.strip()]):
            if not self.trusted(hop):
                return hop
        return None


class Busy(Exception):
    """No place for this turn within the wait: refuse it politely."""


async def _acquire(semaphore: asyncio.Semaphore, timeout: float) -> bool:
    """`semaphore.acquire()` within `timeout` seconds. (`asyncio.wait_for` of Python 3.10 can
    lose a permit acquired just as the timeout fires.)"""
    if not semaphore.locked():
        return await semaphore.acquire()
    waiting = asyncio.ensure_future(semaphore.acquire())
    try:
        await asyncio.wait({waiting}, timeout=timeout)
    except asyncio.CancelledError:
        if not waiting.cancel() and not waiting.cancelled() and waiting.exception() is None:
            semaphore.release()
        raise
    if waiting.done():
        return waiting.result()
    waiting.cancel()
    await asyncio.wait({waiting})  # the cancellation lands (or the permit came first)
    return not waiting.cancelled() and waiting.exception() is None


class TurnGate:
    def __init__(self, slots: int, heavy_slots: int, wait: float):
        self.slots, self.heavy_slots, self.wait = max(1, slots), max(1, heavy_slots), wait
        self._loop: asyncio.AbstractEventLoop | None = None
        self.running = 0

    def _bind(self) -> None:
        """Semaphores belong to one event loop: made for the running one."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop = loop
            self._all = asyncio.Semaphore(self.slots)
            self._heavy = asyncio.Semaphore(self.heavy_slots)
            self._senders: dict[str, list] = {}  # sender -> [lock, turns holding or waiting]

    @asynccontextmanager
    async def turn(self, sender: str, heavy: bool = False) -> AsyncIterator[None]:
        """Hold a place for one turn of `sender`; raises Busy when none frees up in time."""
        self._bind()
        entry = self._senders.setdefault(sender, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:  # this conversation's previous turn first
                gates = [self._heavy, self._all] if heavy else [self._all]
                held: list[asyncio.Semaphore] = []
                try:
                    deadline = time.monotonic() + self.wait
                    for gate in gates:
                        if not await _acquire(gate, max(0.0, deadline - time.monotonic())):
                            raise Busy()
                        held.append(gate)
                    self.running += 1
                    try:
                        yield
                    finally:
                        self.running -= 1
                finally:
                    for gate in held:
                        gate.release()
        finally:
            entry[1] -= 1
            if entry[1] == 0 and self._senders.get(sender) is entry:
                del self._senders[sender]


_gate: TurnGate | None = None


def turns() -> TurnGate:
    """The process's turn gate, shared by every channel."""
    global _gate
    if _gate is None:
        _gate = TurnGate(
            settings.MAX_CONCURRENT_TURNS, settings.MAX_HEAVY_TURNS, settings.TURN_WAIT_SECONDS
        )
    return _gate


def is_heavy(text: object) -> bool:
    return isinstance(text, str) and len(text) > settings.HEAVY_TURN_CHARS
