"""The hosted web UI: server-rendered sign-up pages over the same services as the API.

Pages work with plain form posts; the small scripts in ``static/`` only improve
them (countdowns, live checks, the strength meter). See ``routes.ui_router``.
"""
