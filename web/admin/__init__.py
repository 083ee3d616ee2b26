"""The member admin: one module per part of the register, registered on the admin site.

Django's admin autodiscovery imports ``web.admin``; importing the modules here registers their
model admins.
"""

from web.admin import access, api_tokens, communications, extortion, filings, incidents, notifications, organisations

__all__ = [
    "access",
    "api_tokens",
    "communications",
    "extortion",
    "filings",
    "incidents",
    "notifications",
    "organisations",
]
