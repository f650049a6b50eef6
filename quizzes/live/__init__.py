"""``learnathon live``: the lecture's quiz run by our own server, phones vote, every answer comes back.

Read the package the way the data flows:

* ``rules.py``: what a vote and a control action may do (pure: the session's state in, a verdict out);
* ``store.py``: the session in SQLite (WAL): quiz snapshot, state, participants, every ballot;
* ``render.py``: a question as the pages show it (math as MathML, escaped text) and the state snapshots;
* ``limits.py``: request-size and rate bounds, the security headers;
* ``app.py``: the Starlette application (pages, JSON API, server-sent events);
* ``server.py``: uvicorn, the join address, QR code and lecturer secret in the terminal;
* ``export.py``: a session as CSV, in the results layout ``quiz results`` imports, and as a response matrix.
"""
