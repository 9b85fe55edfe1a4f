"""A throwaway Postgres cluster for tests: initdb and pg_ctl from the installed binaries, on a
free port on 127.0.0.1, removed afterwards. `start_cluster` says why when it cannot start one."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.service_server import free_port

#: Where Debian's postgresql package puts its binaries (not on PATH), after PATH itself.
_CANDIDATES = ("/usr/lib/postgresql/*/bin",)


class NoPostgres(Exception):
    """Why no cluster could be started (the tests skip with it)."""


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for pattern in _CANDIDATES:
        for folder in sorted(glob.glob(pattern), reverse=True):
            path = Path(folder) / name
            if path.exists():
                return str(path)
    raise NoPostgres(f"{name} not found (install Debian's postgresql package)")


@contextmanager
def start_cluster() -> Iterator[str]:
    """Yield the SQLAlchemy URL of a fresh cluster's ``postgres`` database. Raises
    `NoPostgres`."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    # Postgres refuses to run as root: as root, the cluster belongs to the postgres user.
    run_as: dict[str, Any] = {}
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            raise NoPostgres("running as root and there is no postgres user to own the "
                             "cluster") from None
        run_as = {"user": owner.pw_uid, "group": owner.pw_gid}
    root = Path(tempfile.mkdtemp(prefix="extract-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if run_as:
        for path in (root, sockets):
            os.chown(path, run_as["user"], run_as["group"])
    port = free_port()
    env = {**os.environ, "LC_ALL": "C", "PGTZ": "UTC"}
    try:
        _run([initdb, "-D", str(data), "-U", "extract", "--auth=trust", "--no-sync",
              "-E", "UTF8"], env, run_as, "initdb")
        options = (f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c max_connections=200")
        _run([pg_ctl, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "-t", "60",
              "start"], env, run_as, "pg_ctl start")
        try:
            yield f"postgresql+psycopg://extract@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                           env=env, capture_output=True, timeout=60, check=False, **run_as)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run(command: list[str], env: dict[str, str], run_as: dict[str, Any], what: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                              check=False, **run_as)
    except OSError as exc:
        raise NoPostgres(f"{what} could not run: {exc}") from None
    if done.returncode != 0:
        raise NoPostgres(f"{what} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
