"""The HTTP service (`extract serve`): FastAPI over the same per-article step as `extract run`.

    app (routes, limits, errors) -> store (keys, jobs, leases: one transaction each) -> db
    workers (lease, run the step, write the line) -> store

Needs the ``serve`` extra (``pip install 'extractor[serve]'``); nothing outside this package and
the CLI imports it. See README.md, "The service".
"""
