"""Errors a user can cause.  The command line prints their message on one line
and exits with status 2; anything else is a bug."""


class SearchkitError(Exception):
    pass
