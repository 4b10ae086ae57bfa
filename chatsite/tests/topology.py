"""
Helpers for the `topology` tests: the production topology's parts run for real on this machine
(redis-server and redis-sentinel, nginx in front of several server processes).

Each part is a process of the test's own on free ports, stopped when the test ends. Without the
program the test is skipped, except in CI, where `.ci/run` installs it and a missing one fails.
"""

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis

from conftest import free_port


def program(name, *candidates):
    """The path of a program the topology needs: skipped here without it, failed in CI."""
    for candidate in (name, *candidates):
        found = shutil.which(candidate) or (candidate if os.path.isabs(candidate) and os.path.exists(candidate) else None)
        if found:
            return found
    message = f"{name} is not installed (.ci/run installs it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def wait_until(condition, timeout, what, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not within {timeout}s: {what}")


class RedisProcess:
    """A redis-server (or, with sentinel=True, a redis-sentinel) on a free port."""

    def __init__(self, directory, *, config="", sentinel=False):
        self.port = free_port()
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        conf = self.directory / f"{'sentinel' if sentinel else 'redis'}-{self.port}.conf"
        conf.write_text(f"port {self.port}\nbind 127.0.0.1\nsave \"\"\nappendonly no\ndir {self.directory}\n{config}")
        binary = program("redis-sentinel") if sentinel else program("redis-server")
        self.log = open(self.directory / f"{conf.stem}.log", "wb")
        self.process = subprocess.Popen([binary, str(conf)], stdout=self.log, stderr=subprocess.STDOUT)
        self.client = redis.Redis(port=self.port, socket_timeout=2, decode_responses=True)
        wait_until(self._answers, 10, f"redis on port {self.port} answering")

    def _answers(self):
        try:
            return self.client.ping()
        except redis.ConnectionError:
            return False

    def kill(self):
        """As a machine failure would: no shutdown, no last words."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


class SentinelSet:
    """A master, a replica and three sentinels watching them, as the README's failover section."""

    MASTER_NAME = "chatmaster"

    def __init__(self, directory):
        self.master = RedisProcess(directory)
        self.replica = RedisProcess(directory, config=f"replicaof 127.0.0.1 {self.master.port}\n")
        wait_until(
            lambda: self.replica.client.info("replication").get("master_link_status") == "up",
            15,
            "the replica in sync with the master",
        )
        monitor = (
            f"sentinel monitor {self.MASTER_NAME} 127.0.0.1 {self.master.port} 2\n"
            f"sentinel down-after-milliseconds {self.MASTER_NAME} 1000\n"
            f"sentinel failover-timeout {self.MASTER_NAME} 5000\n"
            f"sentinel parallel-syncs {self.MASTER_NAME} 1\n"
        )
        self.sentinels = [RedisProcess(directory, config=monitor, sentinel=True) for _ in range(3)]
        wait_until(
            lambda: all(int(s.client.sentinel_master(self.MASTER_NAME)["num-slaves"]) == 1 for s in self.sentinels),
            15,
            "every sentinel knowing the replica",
        )

    @property
    def addresses(self):
        return ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)

    def master_port(self):
        host, port = self.sentinels[0].client.sentinel_get_master_addr_by_name(self.MASTER_NAME)
        return int(port)

    def stop(self):
        for part in (*self.sentinels, self.replica, self.master):
            part.stop()
