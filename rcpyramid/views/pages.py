"""Which API pages there are: the registry the views, the tabs and the export share."""

from __future__ import annotations

from dataclasses import dataclass

from rcpyramid.ringcentral import endpoints
from rcpyramid.routes import READABLE_PATHS


@dataclass(frozen=True)
class ApiPage:
    key: str
    title: str
    path: str
    template: str
    dated: bool
    admin_only: bool = False
    #: What the CSV file name says the records are.
    file_stem: str = ""

    @property
    def address(self) -> str:
        """The page's readable path (``/calls``); ``/test?api=<key>`` serves it too."""
        return READABLE_PATHS.get(self.key, "/test")


PAGES: dict[str, ApiPage] = {
    page.key: page
    for page in (
        ApiPage(
            "extension",
            "Directory",
            endpoints.EXTENSIONS,
            "rcpyramid.templates:api_extensions.jinja2",
            dated=False,
        ),
        ApiPage(
            "extension-call-log",
            "Your call log",
            endpoints.OWN_CALL_LOG,
            "rcpyramid.templates:api_calls.jinja2",
            dated=True,
            file_stem="my-calls",
        ),
        ApiPage(
            "account-call-log",
            "Company call log",
            endpoints.ACCOUNT_CALL_LOG,
            "rcpyramid.templates:api_calls.jinja2",
            dated=True,
            admin_only=True,
            file_stem="company-calls",
        ),
    )
}

#: The directory's key (the seed's name for it).
DIRECTORY = "extension"

DIRECTIONS = {"": "In and out", "Inbound": "Incoming", "Outbound": "Outgoing"}
TYPES = {"": "Calls and faxes", "Voice": "Calls", "Fax": "Faxes"}
