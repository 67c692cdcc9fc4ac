"""What every error a page explains carries, as Pyramid's httpexceptions carry theirs.

An exception of the app says its own HTTP status, title and plain words; one
exception view per family (``rcpyramid.views.errors``) renders them, so no list
of statuses is kept anywhere else.
"""

from __future__ import annotations

from typing import ClassVar


class PageError(Exception):
    """An error with a page: ``page_status``, ``title`` and ``explanation`` (plain words).

    ``detail`` is the other side's own words (shown escaped, never trusted);
    ``offers_sign_in`` is True when the page should offer a new sign-in, False when
    it should not, None when only to someone not signed in; ``retry_after`` is how
    many seconds to wait, when that is known.
    """

    page_status: ClassVar[int] = 500
    title: ClassVar[str] = "Something went wrong"
    offers_sign_in: ClassVar[bool | None] = False
    detail: str = ""
    retry_after: int | None = None

    @property
    def explanation(self) -> str:
        return "Something went wrong on our side. It has been logged; please try again."


class WordsError(PageError):
    """A :class:`PageError` whose plain words are the message it is raised with."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def explanation(self) -> str:
        return self.message
