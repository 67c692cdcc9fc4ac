"""The API pages at ``/test?api=...``: one page of RingCentral's answer as a table, JSON or CSV.

- :mod:`rcpyramid.views.pages` (one level up): which pages there are, the registry the
  tabs (:mod:`rcpyramid.views.signed_in`) and these views share;
- :mod:`.query`: the pure model of a call-log query (dates, filters, sizes) read from the address;
- :mod:`.memo`: rendered pages kept per process (the directory's by its cached answer,
  the call logs' by the history's revision);
- :mod:`.table`: the values one HTML page is rendered from;
- :mod:`.history` and :mod:`.calls`: the call logs, read from the local history;
- :mod:`.asking`: the directory, asked of RingCentral through the answer cache;
- :mod:`.csv_export`: a call log's whole range as a CSV file;
- :mod:`.views`: the views, one per output, chosen by view predicates.

The app's own links carry only validated ``page``, ``perPage``, ``from``, ``to``,
``direction`` and ``type`` values, never an address from RingCentral's ``navigation``:
the app must never fetch a URL a browser supplied, or it would send the person's
bearer token there.
"""
