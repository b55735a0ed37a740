"""Orientation: from what a person writes to the offer that fits them, or the question to ask.

text (cleaning, register), territory and lookups (communes, NLU lookup tables), catalogue
(data/offers.yml), facts (clean facts from the NLU's output), questions (deciding questions),
routing (facts → offer, pure Python), commands (messages that are only a command), nlu and
nlu_components (the trained model outside Rasa, and the project's pipeline components), orient
and evaluate (`bot orient`, `bot evaluate`). What the assistant says about an orientation is
written by `bot.wording`.
"""
