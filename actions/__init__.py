"""Rasa SDK actions: thin adapters from Rasa's tracker to `bot/`."""
