"""Leads: what advisors receive when a person asks to be called back.

models (tables), db (engine, sessions, migrations), statuses (state machine), qualification
(score and level), repository (write exactly once, read, export), outbox (durable queue when the
database is down).
"""
