"""The page's scripts use htmx's documented API and take the socket's close codes from the page."""

import re
from pathlib import Path

from chatsite.context_processors import client_config

BASE = Path(__file__).resolve().parents[2]
SCRIPTS = sorted((BASE / "static" / "js").glob("*.js"))
TESTS = sorted(p for p in BASE.glob("*/tests/**/*.py") if p != Path(__file__).resolve())


def test_no_script_and_no_test_reaches_into_htmx_internals():
    assert SCRIPTS and TESTS
    assert [p.name for p in SCRIPTS + TESTS if "htmx-internal-data" in p.read_text()] == []


def test_the_scripts_restate_no_close_code():
    codes = "|".join(str(code) for code in client_config()["close"].values())
    assert [p.name for p in SCRIPTS if re.search(rf"\b({codes})\b", p.read_text())] == []
