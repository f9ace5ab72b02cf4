"""A real PostgreSQL server for the tests: ``initdb`` in a temporary directory, listening on a
Unix socket only (no TCP port), stopped at the end of the session.  Debian's ``postgresql``
package provides the binaries (``make system-deps`` installs it).  PostgreSQL refuses to run
as root, so under root the server runs as the package's ``postgres`` user."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("initdb")
    if which:
        return Path(which).parent
    raise RuntimeError("PostgreSQL is not installed: `make system-deps` installs Debian's postgresql package")


class PostgresServer:
    def __init__(self) -> None:
        self.bin = _bindir()
        # Its own directory under /tmp: the server's user must reach it, and pytest's
        # temporary directories are private to the user running the tests.
        self.base = Path(tempfile.mkdtemp(prefix="unspun-pg-"))
        self.data = self.base / "data"
        self.socket = self.base / "socket"
        self.socket.mkdir()
        self._as: list[str] = []
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres")
            shutil.chown(self.socket, "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
        self._counter = itertools.count()

    def _run(self, *args: str) -> None:
        proc = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            log = self.base / "server.log"
            raise RuntimeError(f"{args[0]} failed: {proc.stdout}{proc.stderr}\n"
                               f"{log.read_text() if log.exists() else ''}")

    def start(self) -> PostgresServer:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "unspun", "-E", "UTF8")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "server.log"), "-w",
                  "-o", f"-k {self.socket} -c listen_addresses='' -c fsync=off", "start")
        return self

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql:///{dbname}?host={self.socket}&user=unspun"

    def new_database(self) -> str:
        """A fresh, empty database; its connection URL."""
        import psycopg

        name = f"t{next(self._counter)}"
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")  # a generated name, not user input
        return self.dsn(name)
