"""Messaging channels (Telegram, Messenger, Twilio SMS/WhatsApp) as Rasa input channels.

Rasa 3.6's own connectors for these platforms have defects (Telegram reuses one aiohttp session
across event loops, Messenger and Twilio send with blocking `requests` clients, Twilio requests are
not signature-checked). These channels keep Rasa's channel framework — `InputChannel` blueprints,
`UserMessage`, `OutputChannel.send_response` — and replace the platform side with short async
HTTP clients that check signatures, retry a bounded number of times and log failures.

Each channel reads its settings from environment variables named in `credentials.yml` and stays
off (its webhook answers 404) while they are unset.
"""

from bot.rasa_ext import rasa_fixes

# Rasa imports this package from credentials.yml in every server process: see
# bot/rasa_ext/rasa_fixes.py.
rasa_fixes.apply()
