"""
realtime/PROTOCOL.md is the contract between the server and static/js: these tests read it
and hold the code to it, both ways. A frame kind the server emits or handles, or the page
sends or handles, that the page does not document fails; so does a documented one nobody
implements.
"""

import json
import re
from pathlib import Path

from realtime import registry
from realtime.protocol import CLOSE_CODES

ROOT = Path(__file__).resolve().parent.parent.parent
PROTOCOL = (ROOT / "realtime" / "PROTOCOL.md").read_text()
LIVE_JS = (ROOT / "static" / "js" / "live.js").read_text()
FRAMES_HTML = (ROOT / "templates" / "rooms" / "frames.html").read_text()
APPS = ["core", "realtime", "accounts", "friends", "rooms", "moderation", "chatsite"]


def section(title):
    """The text of the PROTOCOL.md section with this `## ` title."""
    start = PROTOCOL.index(f"\n## {title}\n")
    end = PROTOCOL.find("\n## ", start + 1)
    return PROTOCOL[start : end if end > 0 else None]


def app_source():
    return "\n".join(
        path.read_text()
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    )


def table_column(text):
    """The first column's `code` of every row of the markdown tables in text (not the header)."""
    lines = text.splitlines()
    return {
        m.group(1)
        for line, after in zip(lines, lines[1:] + [""])
        if not after.startswith("| ---") and (m := re.match(r"^\| `(\w+)` \|", line))
    }


# --- Frames from the page ---------------------------------------------------------------------


def documented_client_frames():
    return set(re.findall(r"^### `(\w+)`$", section("Frames from the page"), re.M))


def test_every_documented_client_frame_has_a_handler_and_nothing_else_does():
    assert documented_client_frames() == set(registry.frame_handlers)


def test_the_page_sends_exactly_the_documented_client_frames():
    sent = set(re.findall(r'\btype: "(\w+)"', LIVE_JS))
    assert sent == documented_client_frames()


# --- Control frames from the server -----------------------------------------------------------


def documented_control_frames():
    return table_column(section("Frames from the server: control (JSON)"))


def test_the_server_emits_exactly_the_documented_control_frames():
    emitted = set(re.findall(r'\bcontrol\(\s*"(\w+)"', app_source()))
    assert emitted == documented_control_frames()


def test_the_page_handles_exactly_the_documented_control_frames():
    block = LIVE_JS[LIVE_JS.index("var control = {") : LIVE_JS.index("};", LIVE_JS.index("var control = {"))]
    handled = set(re.findall(r"^\s*(\w+): function", block, re.M))
    assert handled == documented_control_frames()


def test_every_control_frame_example_is_documented_with_its_fields():
    types = documented_control_frames()
    rows = {
        m.group(1): set(re.findall(r"`(\w+)`", m.group(2)))
        for m in re.finditer(r"^\| `(\w+)` \|([^|]*)\|", section("Frames from the server: control (JSON)"), re.M)
        if m.group(1) in types
    }
    examples = re.findall(r'^    (\{"type":.*\})$', section("Frames from the server: control (JSON)"), re.M)
    assert len(examples) == len(rows)
    for example in examples:
        frame = json.loads(example)
        assert set(frame) - {"type"} == rows[frame["type"]], example


# --- HTML frames ------------------------------------------------------------------------------


def test_every_swap_target_of_the_html_frames_is_documented():
    def placeholder(target):
        return re.sub(r"\{\{[^}]*\}\}|\b[RM]\b", "X", target)

    emitted = {placeholder(t) for t in re.findall(r'hx-swap-oob="([^"]+)"', FRAMES_HTML)}
    documented = {placeholder(t) for t in re.findall(r"`([^`]+)`", section("Frames from the server: HTML (swaps)"))}
    assert emitted and emitted <= documented


# --- Close codes ------------------------------------------------------------------------------


def test_the_documented_close_codes_are_the_servers():
    documented = {int(code) for code in re.findall(r"^\| (4\d\d\d) \|", section("Close codes"), re.M)}
    assert documented == set(CLOSE_CODES.values())


def test_the_page_takes_its_close_codes_from_the_config_by_name():
    used = set(re.findall(r"\bCLOSE\.(\w+)", LIVE_JS))
    assert used and used <= set(CLOSE_CODES)
