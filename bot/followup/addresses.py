"""Where a person who wrote from a messaging app can be written back to by the follow-up loop.

The channels pseudonymise senders: the tracker and the logs never hold a phone number or a
Telegram account. The address is kept in one place only, the lead, and only when the person
confirmed a call-back request with their consent: the action that writes the lead asks the
channel (a custom message carrying nothing but the lead's reference) and the channel, which
holds the address for the turn, writes it on that lead if it is this conversation's.
"""

from __future__ import annotations

from bot.settings import Settings

REQUEST = "reply_address_for"


def request(reference: str) -> dict:
    """The custom message asking the channel to keep its address on this lead."""
    return {REQUEST: reference}


class ReplyAddresses:
    """Writes the address on the lead (the Rasa process reaches the leads database through
    DATABASE_URL, as the action server does)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._repository = None

    def record(self, reference: str, conversation_id: str, address: str) -> bool:
        if self._repository is None:
            from bot.leads.repository import LeadRepository

            self._repository = LeadRepository(settings=self.settings)
        return self._repository.set_reply_address(reference, conversation_id, address)
