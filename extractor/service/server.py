"""Running the app on uvicorn: `extract serve`'s body."""

from __future__ import annotations

import logging
import sys

import uvicorn

from extractor.service.app import create_app
from extractor.service.db import open_database
from extractor.settings import ServiceSettings, Settings


def run_server(settings: Settings, config: ServiceSettings) -> None:
    """Serve until SIGTERM or Ctrl-C, then drain (see `extractor.service.workers`). Raises
    `ConfigError` for a database that cannot be opened, before anything listens."""
    open_database(config.db).dispose()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    service_log = logging.getLogger("extractor.service")
    service_log.addHandler(handler)
    service_log.setLevel(logging.INFO)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, config),
            host=config.host,
            port=config.port,
            log_level="info",
            timeout_graceful_shutdown=int(config.drain_seconds) or None,
        )
    )
    server.run()
    if not server.started:
        raise SystemExit(2)
