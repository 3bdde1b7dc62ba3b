"""MSAL: the auth-code flow and access tokens. Written in the connection work (issue 3).

Contract used elsewhere:
    get_access_token(connection, *, force_refresh: bool = False) -> str
        raises ReconnectRequired (permanent: invalid_grant / interaction_required; the connection
        is already marked not_connected with the reason) or TokenUnavailable (transient).
"""

from __future__ import annotations


class ReconnectRequired(Exception):
    """Microsoft no longer accepts Ruby's stored access; the user must reconnect."""


class TokenUnavailable(Exception):
    """The token endpoint could not be reached or answered badly; try again later."""


def get_access_token(connection, *, force_refresh: bool = False) -> str:
    raise NotImplementedError("written in the Outlook connection work")
