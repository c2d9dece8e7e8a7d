"""A throwaway PostgreSQL with pgvector, from the pinned `pgserver` wheel's binaries
(requirements/pgvector-test.txt), on its own port and socket in a temporary folder.

Only the binaries are used (initdb, postgres), not pgserver's Python layer, which creates a
system user when run as root. As root the server runs as `nobody` instead: PostgreSQL refuses
to run as root.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from tests.support import free_port


class BundledPostgresError(RuntimeError):
    pass


def bundled_bin() -> Path:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise BundledPostgresError(
            "the pgserver wheel is not installed: pip install --no-deps --require-hashes "
            "-r requirements/pgvector-test.txt (make test does)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
    if not (path / "postgres").exists():
        raise BundledPostgresError(f"no postgres binary in {path}")
    return path


class BundledPostgres:
    """``root`` must be reachable by `nobody` when running as root: a folder made by
    `tempfile.mkdtemp()` directly in /tmp is (pytest's tmp_path is not: its parents are 0700)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="hybridcx-pgvector-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.bin = bundled_bin()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = self.root / "postgres.log"

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _demote(self) -> dict[str, object]:
        if os.geteuid() != 0:
            return {}
        nobody = pwd.getpwnam("nobody")
        # `nobody` may not reach the virtualenv (a checkout under /root): run a copy of the
        # binaries from the server's own folder (PostgreSQL finds its lib/ and share/ relative
        # to the binary).
        # The wheel's layout is kept: the binaries find their libraries at
        # $ORIGIN/../../../pgserver.libs.
        site = self.bin.parent.parent.parent
        copy = self.root / "site"
        shutil.copytree(site / "pgserver" / "pginstall", copy / "pgserver" / "pginstall")
        if (site / "pgserver.libs").is_dir():
            shutil.copytree(site / "pgserver.libs", copy / "pgserver.libs")
        self.bin = copy / "pgserver" / "pginstall" / "bin"
        shutil.chown(self.root, nobody.pw_uid, nobody.pw_gid)
        return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}

    def start(self, timeout: float = 60) -> BundledPostgres:
        try:
            return self._start(timeout)
        except BaseException:
            self.stop()  # and remove the folder
            raise

    def _start(self, timeout: float) -> BundledPostgres:
        self.root.mkdir(parents=True, exist_ok=True)
        demote = self._demote()
        done = subprocess.run(
            [
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            check=False,
            capture_output=True,
            cwd=self.root,
            **demote,  # type: ignore[arg-type]
        )
        if done.returncode != 0:
            raise BundledPostgresError(f"initdb failed: {done.stderr.decode()[-500:]}")
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [
                    str(self.bin / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.root),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "max_connections=60",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.root,
                **demote,  # type: ignore[arg-type]
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BundledPostgresError(f"postgres exited: {self.log.read_text()[-500:]}")
            ready = subprocess.run(
                [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
                check=False,
            )
            if ready.returncode == 0:
                return self
            time.sleep(0.2)
        raise BundledPostgresError("postgres did not accept connections in time")

    def stop(self, *, remove: bool = True) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # smart shutdown
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)
