"""
The production server's command line is written in one place (chatsite/servers.py): the
systemd template runs exactly it, and the tests' live servers (conftest.LiveServer) run it too.
"""

import re
import shlex
from pathlib import Path

import pytest

from chatsite import servers

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def test_the_systemd_template_runs_productions_command_line():
    unit = (BASE_DIR / "deploy" / "chat@.service").read_text()
    exec_start = re.search(r"^ExecStart=(.+)$", unit, re.M).group(1)
    expected = servers.command(servers.PRODUCTION, port="%i", python="/srv/chat/.venv/bin/python", proxy_headers=True)
    assert shlex.split(exec_start) == expected


@pytest.mark.parametrize("server", servers.SERVERS)
def test_every_server_serves_the_site_with_its_limits(server):
    line = servers.command(server, port=8001)
    assert line[-1] == servers.APP and "8001" in line
    if server.startswith("uvicorn"):
        # Frames past 1 MiB are the server's to refuse (1009), as daphne's own limit; no deflate.
        assert line[line.index("--ws-max-size") + 1] == str(servers.WS_MAX_BYTES)
        assert line[line.index("--ws-per-message-deflate") + 1] == "false"


def test_an_unknown_server_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown server 'gunicorn'"):
        servers.command("gunicorn", port=8001)
