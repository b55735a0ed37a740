"""After the chat: the follow-up loop that closes it.

The person is told when their request is taken in charge, when nobody could reach them, and
when it waits too long; advisors get reminder digests; a satisfaction survey follows closing.
Everything is run by one idempotent entry point, `python -m bot follow-up run`.
"""
