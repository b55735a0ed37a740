"""A local stand-in for the Telegram Bot API, Meta's Send API and Twilio's Messages API.

It speaks just enough of each HTTP API for the channels' real client code: it records every
call, checks the credentials the way the platform does, and can be told to fail (HTTP 500) or
to stall (longer than the channels' timeout) for the next calls of one recipient.
"""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TELEGRAM_TOKEN = "123456789:TEST-telegram-token"
TELEGRAM_SECRET = "s3cret_path-42"
FACEBOOK_VERIFY = "verify-me"
FACEBOOK_SECRET = "facebook-app-secret"
FACEBOOK_PAGE_TOKEN = "EAAB-test-page-token"
TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "twilio-auth-token"
TWILIO_NUMBER = "+33700000000"
TWILIO_WHATSAPP = "whatsapp:+14155238886"


@dataclass
class Call:
    platform: str
    recipient: str
    text: str
    body: dict
    at: float = field(default_factory=time.monotonic)


class FakePlatforms:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self.troubles: dict[str, list[str]] = {}  # recipient -> ["500", "stall", ...]
        self.stall_seconds = 3.0

    # --- what tests use -------------------------------------------------------------------
    def trouble(self, recipient: str, *kinds: str) -> None:
        with self.lock:
            self.troubles[str(recipient)] = list(kinds)

    def sent_to(self, recipient: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.recipient == str(recipient)]

    def wait_for(self, recipient: str, count: int, timeout: float = 30) -> list[Call]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            calls = self.sent_to(recipient)
            if len(calls) >= count:
                return calls
            time.sleep(0.05)
        raise AssertionError(
            f"{recipient}: {len(self.sent_to(recipient))} calls, expected "
            f"{count}: {[c.text for c in self.sent_to(recipient)]}"
        )

    # --- the fake APIs ----------------------------------------------------------------------
    async def _answer(
        self, platform: str, recipient: str, text: str, body: dict, ok: dict, status: int = 200
    ):
        with self.lock:
            kinds = self.troubles.get(str(recipient)) or []
            kind = kinds.pop(0) if kinds else None
        if kind == "stall":
            await asyncio.sleep(self.stall_seconds)
            return JSONResponse({"error": "too late"}, status_code=504)
        if kind == "500":
            return JSONResponse({"ok": False, "description": "Internal Server Error"}, 500)
        with self.lock:
            self.calls.append(Call(platform, str(recipient), text, body))
        return JSONResponse(ok, status_code=status)

    async def telegram(self, request: Request):
        if request.path_params["token"] != TELEGRAM_TOKEN:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        body = await request.json()
        return await self._answer(
            "telegram",
            body["chat_id"],
            body.get("text", ""),
            body,
            {"ok": True, "result": {"message_id": len(self.calls) + 1}},
        )

    async def messenger(self, request: Request):
        if request.query_params.get("access_token") != FACEBOOK_PAGE_TOKEN:
            return JSONResponse(
                {"error": {"message": "Invalid OAuth access token", "code": 190}}, 400
            )
        body = await request.json()
        psid = body["recipient"]["id"]
        return await self._answer(
            "facebook",
            psid,
            body["message"].get("text", ""),
            body,
            {"recipient_id": psid, "message_id": f"m_{len(self.calls)}"},
        )

    async def twilio(self, request: Request):
        expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if (
            request.path_params["sid"] != TWILIO_SID
            or request.headers.get("authorization") != expected
        ):
            return JSONResponse({"code": 20003, "message": "Authenticate"}, 401)
        form = dict(await request.form())
        return await self._answer(
            "twilio",
            form["To"],
            form.get("Body", ""),
            form,
            {"sid": f"SM{len(self.calls):032d}", "status": "queued"},
            status=201,
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/bot{token}/sendMessage", self.telegram, methods=["POST"]),
                Route("/v19.0/me/messages", self.messenger, methods=["POST"]),
                Route("/2010-04-01/Accounts/{sid}/Messages.json", self.twilio, methods=["POST"]),
            ]
        )
