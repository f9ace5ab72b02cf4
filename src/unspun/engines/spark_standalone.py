"""A throwaway Spark standalone cluster on this machine: a master and workers on 127.0.0.1.

``local[N]`` runs every task in one JVM; a standalone cluster gives each worker its own
executor JVM and Python workers, as a real cluster does, so executors can be counted, sized,
measured and killed one by one.  The tests use it to kill a worker mid-job, the benchmarks to
compare one executor with two::

    with Standalone(workers=2, cores=1, memory="3g", where=tmp) as cluster:
        unspun run ... --engine spark --master cluster.url
        cluster.kill(1)

Daemons run in their own process groups (a worker's executors go with it) and listen on
127.0.0.1 only.  Needs PySpark and Java 17, as the engine does.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

__all__ = ["Standalone", "free_port", "spark_home"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spark_home() -> str:
    import pyspark

    return str(Path(pyspark.__file__).parent)


class Standalone:
    """A master and ``workers`` workers of ``cores`` cores and ``memory`` each (see the module doc)."""

    def __init__(self, workers: int, cores: int, memory: str, where: Path, start_seconds: float = 120.0) -> None:
        self.workers, self.cores, self.memory, self.where = workers, cores, memory, where
        self.start_seconds = start_seconds
        self.port = free_port()
        self.url = f"spark://127.0.0.1:{self.port}"
        self.env = {**os.environ, "SPARK_HOME": spark_home(), "SPARK_LOCAL_IP": "127.0.0.1",
                    "PYSPARK_PYTHON": sys.executable, "SPARK_NO_DAEMONIZE": "1"}
        self.daemons: list[subprocess.Popen[bytes]] = []

    def _daemon(self, args: list[str], log: Path) -> subprocess.Popen[bytes]:
        cmd = [str(Path(spark_home()) / "bin" / "spark-class"), *args]
        with log.open("wb") as fh:
            return subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)

    def _wait_for(self, log: Path, text: str) -> None:
        deadline = time.monotonic() + self.start_seconds
        while time.monotonic() < deadline:
            if log.exists() and text in log.read_text(errors="replace"):
                return
            time.sleep(0.5)
        raise RuntimeError(f"{text!r} never appeared in {log}:\n{log.read_text(errors='replace')[-3000:]}")

    def __enter__(self) -> Standalone:
        self.where.mkdir(parents=True, exist_ok=True)
        try:
            master_log = self.where / "master.log"
            self.daemons.append(self._daemon(["org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                                              "--port", str(self.port), "--webui-port", str(free_port())], master_log))
            self._wait_for(master_log, "I have been elected leader")
            for n in range(1, self.workers + 1):
                work = self.where / f"w{n}"
                work.mkdir(exist_ok=True)
                self.daemons.append(self._daemon(
                    ["org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--cores", str(self.cores),
                     "--memory", self.memory, "--work-dir", str(work), "--webui-port", str(free_port()), self.url],
                    self.where / f"worker{n}.log"))
            for n in range(1, self.workers + 1):
                self._wait_for(self.where / f"worker{n}.log", "Successfully registered with master")
        except BaseException:
            self.close()
            raise
        return self

    def kill(self, worker: int) -> int:
        """SIGKILL worker ``worker`` (from 1) with its executors; its exit status."""
        proc = self.daemons[worker]
        os.killpg(proc.pid, signal.SIGKILL)
        return proc.wait(timeout=30)

    def close(self) -> None:
        for d in self.daemons:
            if d.poll() is None:
                os.killpg(d.pid, signal.SIGKILL)
                d.wait(timeout=30)
        self.daemons = []

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
