"""The app's pages; each module registers its views with ``config.scan``.

Views (a route each): :mod:`.home` (``/``, the dashboard: :mod:`.dashboard`,
:mod:`.callbacks`), :mod:`.oauth` (``/login``,
``/oauth2callback``, ``/logout``), :mod:`.api` (``/test?api=...``), :mod:`.prefs`
(``/time-zone``), :mod:`.health` (``/healthz``), :mod:`.errors` (the error pages).
Who is signed in: :mod:`.signed_in` (the security policy, the forbidden view, the
person and tabs), :mod:`.zones` (the zone times are shown in) and :mod:`.pages` (the
API pages there are, for the tabs and :mod:`.api`). Presentation helpers
the pages share: :mod:`.calllog`, :mod:`.charts`, :mod:`.formatting`, :mod:`.links`,
:mod:`.safety`. Templates: ``rcpyramid.templates:*.jinja2`` (the checkout's ``templates/``).
"""
