"""
The site's Prometheus metrics, in one place: what the apps count and time, and how the metrics
of every server process on the machine are read together.

With PROMETHEUS_MULTIPROC_DIR set (production: deploy/chat.env.example), prometheus_client
keeps each process's values in files there and `/metrics` (chatsite/views.py) adds them up;
without it (`make run`) the one process's own registry is read. The directory must be empty
when the processes start (the systemd unit clears it).

Names follow Prometheus' conventions: counters end in _total (prometheus_client adds it),
times are in seconds. Request metrics have django-prometheus's names, so its dashboards work.
"""

import os
import time
from pathlib import Path

if _directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # Made if missing (systemd's RuntimeDirectory makes it in production): each metric below
    # opens its file there as it is defined.
    os.makedirs(_directory, exist_ok=True)

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest  # noqa: E402
from prometheus_client import multiprocess  # noqa: E402

class _Off:
    """A metric that counts nothing (CHAT_METRICS=0: the benchmark's "metrics off" row)."""

    def __init__(self, *args, **kwargs):
        pass

    def labels(self, *args, **kwargs):
        return self

    def inc(self, *args):
        pass

    dec = set = observe = inc


if os.environ.get("CHAT_METRICS", "1") == "0":
    Counter = Gauge = Histogram = _Off  # noqa: F811

FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
REQUEST = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

# --- Sockets and delivery -----------------------------------------------------------------
websockets_open = Gauge("chat_websockets_open", "Chat sockets open now.", multiprocess_mode="livesum")
handshakes = Counter("chat_websocket_handshakes", "Chat socket handshakes accepted.")
handshake_seconds = Histogram("chat_websocket_handshake_seconds", "From connect to accept.", buckets=FAST)
closes = Counter("chat_websocket_closes", "Chat sockets closed, by close code.", ["code"])
messages_stored = Counter("chat_messages_stored", "Messages stored, by kind.", ["kind"])
deliveries = Counter("chat_deliveries", "Frames handed to a socket for delivery.")
delivery_seconds = Histogram(
    "chat_delivery_seconds", "From a message stored to its frame written to a socket (sampled).", buckets=FAST
)
layer_errors = Counter("chat_layer_errors", "Channel layer calls that failed.")
resyncs = Counter("chat_resyncs", "Sockets told to resync after a layer outage.")

# --- Requests and stores (django-prometheus's names) -----------------------------------------
requests_by_view = Counter(
    "django_http_requests_total_by_view_transport_method", "Requests by view, transport and method.",
    ["view", "transport", "method"],
)  # fmt: skip
responses_by_status = Counter(
    "django_http_responses_total_by_status_view_method", "Responses by status, view and method.",
    ["status", "view", "method"],
)  # fmt: skip
request_latency = Histogram(
    "django_http_requests_latency_seconds_by_view_method", "Request latency by view and method.",
    ["view", "method"], buckets=REQUEST,
)  # fmt: skip
database_errors = Counter("chat_database_errors", "Requests that failed on a database error.")
cache_errors = Counter("chat_cache_errors", "Cache calls that failed (the site went on without).", ["where"])

# A delivery time is observed for one frame in this many (a histogram per socket write would
# cost more than the write): enough for p50/p99 at any real rate.
DELIVERY_SAMPLE_EVERY = 16
_delivered = 0


def delivered(count, stored_at):
    """count frames of one publication written to sockets; stored_at is the message's time.time()."""
    global _delivered
    deliveries.inc(count)
    if stored_at is None:
        return
    before = _delivered
    _delivered += count
    if before // DELIVERY_SAMPLE_EVERY != _delivered // DELIVERY_SAMPLE_EVERY:
        delivery_seconds.observe(max(0.0, time.time() - stored_at))


def _multiprocess_dir():
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or os.environ.get("prometheus_multiproc_dir")


def _forget_dead_processes(directory):
    """A killed process's live gauges (open sockets) stop counting: same machine, so ask the kernel."""
    for path in Path(directory).glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            multiprocess.mark_process_dead(pid, directory)
        except PermissionError:
            pass


def exposition():
    """Every process's metrics (or this one's), in Prometheus' text format."""
    from prometheus_client import REGISTRY

    directory = _multiprocess_dir()
    if not directory:
        return generate_latest(REGISTRY)
    _forget_dead_processes(directory)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)
