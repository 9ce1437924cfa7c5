"""A real PostgreSQL server on loopback for the tests, from the ``pgserver`` wheel's binaries.

``pgserver`` ships PostgreSQL 16 as a wheel (a test dependency: no system package, no root needed). Its own
``get_server`` listens only on a Unix socket; the tests want what a user runs, a server on TCP, so this module
drives its ``initdb`` and ``pg_ctl`` directly: a fresh data directory, ``127.0.0.1`` on a free port, trust
authentication for the ``postgres`` role, and a stop (``-m immediate``) plus removal at the end. PostgreSQL
refuses to run as root, so as root it runs as the ``pgserver`` system user, as ``pgserver`` itself does.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PostgresServer:
    host: str
    port: int
    user: str
    database: str

    @property
    def uri(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    def connect(self) -> object:
        import psycopg2

        return psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname=self.database)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgres_server(folder: Path) -> Iterator[PostgresServer]:
    """Start a server with its data under ``folder``; stop it and delete the data when the block ends."""
    from pgserver import _commands as commands
    from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    pgdata = folder / "pgdata"
    pgdata.mkdir(parents=True)
    user = None
    if os.geteuid() == 0:  # postgres will not run as root: run it as pgserver's system user
        import pwd
        import stat

        user = "pgserver"
        ensure_user_exists(user)
        ensure_prefix_permissions(pgdata)
        bin_path = commands.POSTGRES_BIN_PATH
        read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
        ensure_prefix_permissions(bin_path)
        ensure_folder_permissions(bin_path, execute | read)
        ensure_folder_permissions(bin_path.parent / "lib", read)
        entry = pwd.getpwnam(user)
        os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    commands.initdb(
        ["--auth=trust", "--encoding=utf8", "-U", "postgres"], pgdata=pgdata, user=user, timeout=60
    )
    options = f"-h 127.0.0.1 -p {port} -k {pgdata} -c fsync=off"
    commands.pg_ctl(
        ["-w", "-l", str(pgdata / "server.log"), "-o", options, "start"], pgdata=pgdata, user=user, timeout=60
    )
    try:
        yield PostgresServer("127.0.0.1", port, "postgres", "postgres")
    finally:
        try:
            commands.pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=pgdata, user=user, timeout=60)
        except Exception as error:  # it was not running any more: say why, from its log, before it goes
            log = pgdata / "server.log"
            tail = log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)"
            raise RuntimeError(f"PostgreSQL on port {port} had stopped; its log ends:\n{tail}") from error
        finally:
            shutil.rmtree(pgdata, ignore_errors=True)
