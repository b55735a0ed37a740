"""The call-back request: the contact form's logic (form) and the contact details' validators
(validators). The lead it produces is written by `bot.leads`."""
