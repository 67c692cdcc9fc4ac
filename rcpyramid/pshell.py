"""``pshell development.ini``: the token repository at hand.

``repo`` is the repository the app's own factory makes for a request. With the SQL
backend it works in ``tm``, the request's transaction manager (``tm.commit()`` to
keep what you changed; ``dbsession`` is that transaction's session).
"""

from __future__ import annotations

from typing import Any

from rcpyramid.clock import utcnow
from rcpyramid.tokens.interfaces import TokenRepository


def setup(env: dict[str, Any]) -> None:
    registry = env["registry"]
    request = env["request"]
    if "dbsession_factory" in registry:  # the SQL backend brought pyramid_tm
        request.tm.begin()
        env["tm"] = request.tm
        env["dbsession"] = request.dbsession
    env["repo"] = request.find_service(TokenRepository)
    env["utcnow"] = utcnow
