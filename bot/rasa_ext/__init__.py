"""Code Rasa 3.6 loads by dotted path from endpoints.yml, credentials.yml and the deploy
configuration: tracker and lock stores (trackers, locks), the guarded REST channel
(guarded_rest), the messaging channels (channels) and fixes to Rasa itself (rasa_fixes)."""
