"""A webhook body far larger than any platform sends is refused before it is verified or parsed."""

import fake_platforms as fp
import httpx
import pytest

from bot import settings

pytestmark = [pytest.mark.server]


@pytest.mark.parametrize(
    "path", [f"telegram/webhook/{fp.TELEGRAM_SECRET}", "facebook/webhook", "twilio/webhook"]
)
def test_an_oversized_webhook_body_is_refused_with_413(rasa_server, platforms, path):
    before = len(platforms.calls)
    body = b'{"x": "' + b"a" * (settings.MAX_INPUT_BYTES + 10) + b'"}'
    answer = httpx.post(
        f"{rasa_server.url}/webhooks/{path}",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert answer.status_code == 413
    assert len(platforms.calls) == before  # nothing sent to anyone
    ok = httpx.get(f"{rasa_server.url}/webhooks/{path.split('/')[0]}/", timeout=10)
    assert ok.status_code == 200  # the channel still answers
