"""Leads: what advisors receive when a person asks to be called back.

models (tables), db (engine, sessions, migrations), statuses (state machine), qualification
(score and level), repository (one `LeadRepository` made of one module per aggregate: leads,
notes and assignment, misunderstood messages, feedback, erasure and purge), inbox and export
(what advisors read), outbox (durable queue when the database is down), service (this process's
settings, repository and outbox).
"""
