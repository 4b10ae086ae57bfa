"""
A reconnect storm behind nginx: 2,000 sockets spread over two production processes, one process
killed. Every client comes back on the other (how fast is printed; the issue's target is 15 s),
reconnecting as the page does (a random
wait below a ceiling that doubles, from live.js's own constants), nothing is lost or doubled
(each client resumes after the last message it has), presence is right afterwards (the dead
process's tabs stop counting), and once the process is back new connections spread again.
"""

import asyncio
import bisect
import json
import os
import random
import re
import ssl
import statistics
import time
import uuid
from collections import Counter
from pathlib import Path

import websockets
from asgiref.sync import sync_to_async

from accounts.tests.factories import UserFactory
from chatsite.tests.topology import MARKS, SITE_HOST, Nginx, production_env
from conftest import LiveServer
from friends.models import Friendship
from realtime.presence import ProcessPresence
from rooms.models import Membership, Message, Room
from rooms.tests.test_multiprocess import session_for

pytestmark = MARKS

PEOPLE, TABS_EACH = int(os.environ.get("STORM_PEOPLE", 200)), 10  # 2,000 sockets (fewer while developing)
# The target: every client back within 15 s (the figures are printed, and in the
# README). The test also fails when clients lose, double or misplace what they were sent.
BACK_WITHIN = 15

LIVE_JS = (Path(__file__).resolve().parent.parent.parent / "static" / "js" / "live.js").read_text()
RETRY_FIRST = int(re.search(r"RETRY_FIRST_MS = (\d+)", LIVE_JS).group(1)) / 1000
RETRY_MOST = int(re.search(r"RETRY_MOST_MS = (\d+)", LIVE_JS).group(1)) / 1000
MESSAGE_ID = re.compile(r'id="message-(\d+)"')


def retry_delay(tries):
    """live.js's retryDelay: full jitter below a ceiling that doubles with each try."""
    return random.random() * min(RETRY_MOST, RETRY_FIRST * 2**tries)


def _tls():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # one for all: loading CAs per socket costs more than TLS
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


TLS = _tls()


class PageSocket:
    """One tab of the chat page with the room open: its socket, as live.js keeps it."""

    def __init__(self, nginx, session_key, room_id, gate):
        self.nginx, self.session_key, self.room_id, self.gate = nginx, session_key, room_id, gate
        self.received = []  # message ids, in the order they arrived (live or resumed)
        self.shown = []  # what the page shows: a repeat dropped, in id order (live.js sortMessages)
        self.upstream = None
        self.socket = None
        self.up = asyncio.Event()
        self.attempts_at = []  # when each reconnect attempt started (after a drop)
        self.dropped_at = None
        self.back_at = None
        self.stopped = False
        self.task = None
        self.failures = []  # what each failed connection or close said

    async def run(self):
        tries = 0
        while not self.stopped:
            try:
                async with self.gate:
                    self.socket = await websockets.connect(
                        f"wss://{SITE_HOST}:{self.nginx.https_port}/ws/chat/",
                        host="127.0.0.1", port=self.nginx.https_port, ssl=TLS,
                        additional_headers={"Cookie": f"sessionid={self.session_key}"},
                        origin=f"https://{SITE_HOST}", open_timeout=30, max_queue=None,
                    )  # fmt: skip
            except (OSError, websockets.WebSocketException, TimeoutError) as error:
                self.failures.append(repr(error)[:120])
                await asyncio.sleep(retry_delay(tries))
                tries += 1
                continue
            tries = 0
            # nginx's $upstream_addr lists every process it tried: the last one took the socket.
            self.upstream = self.socket.response.headers["X-Upstream"].split(", ")[-1]
            if self.received:  # the page resumes the open room on every reconnect
                await self.socket.send(json.dumps({"type": "resume", "room": self.room_id, "after": self.shown[-1]}))
            if self.dropped_at is not None and self.back_at is None:
                self.back_at = time.monotonic()
            self.up.set()
            try:
                async for frame in self.socket:
                    for pk in map(int, MESSAGE_ID.findall(frame)):
                        self.received.append(pk)
                        if pk not in self.shown:
                            bisect.insort(self.shown, pk)
            except websockets.ConnectionClosed as closed:
                self.failures.append(f"closed {closed.rcvd.code if closed.rcvd else None}")
            self.up.clear()
            if self.stopped:
                return
            self.dropped_at = self.dropped_at or time.monotonic()
            delay = retry_delay(tries)
            self.attempts_at.append(time.monotonic() + delay)
            await asyncio.sleep(delay)
            tries += 1

    def start(self):
        self.task = asyncio.create_task(self.run())

    async def stop(self):
        self.stopped = True
        if self.socket is not None:
            await self.socket.close()
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


async def until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.05)


def crowd():
    """PEOPLE people in one group, the first of them friends with everyone (presence)."""
    people = UserFactory.create_batch(PEOPLE)
    room = Room.objects.create(kind=Room.Kind.GROUP, name="The storm", created_by=people[0])
    Membership.objects.bulk_create([Membership(room=room, user=person) for person in people])
    for person in people[1:4]:
        Friendship.objects.befriend(people[0], person)
    return people, room, [session_for(person) for person in people]


async def test_a_process_dies_under_2000_sockets_and_every_client_comes_back_on_the_other(tmp_path):
    people, room, sessions = await sync_to_async(crowd)()
    env = await sync_to_async(production_env)(tmp_path, {"CHAT_SOCKETS_PER_PERSON": str(TABS_EACH * 2)})
    servers = [await sync_to_async(LiveServer)(env, tmp_path / f"server-{n}.log", proxy_headers=True) for n in range(2)]
    nginx = await sync_to_async(Nginx)(tmp_path / "nginx", [s.port for s in servers], tmp_path / "media")
    gate = asyncio.Semaphore(64)  # connecting at most this many at once, as a crowd of browsers would not
    pages = [PageSocket(nginx, sessions[n % PEOPLE], room.pk, gate) for n in range(PEOPLE * TABS_EACH)]
    observer = None
    try:
        started = time.monotonic()
        for page in pages:
            page.start()
        await until(lambda: all(p.up.is_set() for p in pages), 120, "2,000 sockets connected")
        connect_seconds = time.monotonic() - started
        spread = Counter(p.upstream for p in pages)
        assert len(spread) == 2 and min(spread.values()) >= 0.4 * len(pages), spread

        # The sender is a tab of people[0] on the process that will survive (not through nginx).
        survivor, victim = servers
        observer = await websockets.connect(
            survivor.url.replace("http://", "ws://") + "/ws/chat/", origin=f"https://{SITE_HOST}",
            additional_headers={"Cookie": f"sessionid={sessions[0]}"}, max_queue=None,
        )  # fmt: skip

        async def send(body):
            await observer.send(json.dumps({"type": "send", "room": room.pk, "body": body, "client_id": str(uuid.uuid4())}))

        def stored_ids():
            return list(Message.objects.filter(room=room, kind=Message.Kind.TEXT).order_by("pk").values_list("pk", flat=True))

        await send("before the storm")
        async with asyncio.timeout(10):
            while not (first := await sync_to_async(stored_ids)()):
                await asyncio.sleep(0.05)
        await until(lambda: all(first[0] in p.received for p in pages), 60, "the first message everywhere")

        on_victim = [p for p in pages if p.upstream == f"127.0.0.1:{victim.port}"]
        killed = time.monotonic()
        await sync_to_async(victim.kill)()
        for n in range(10):  # the room goes on talking through the storm
            await send(f"during the storm {n}")
            await asyncio.sleep(0.3)
        def on_survivor():
            return sum(p.up.is_set() and p.upstream == f"127.0.0.1:{survivor.port}" for p in pages)

        progress = []  # (seconds since the kill, clients on the survivor), to say how it went
        while (count := on_survivor()) < len(pages) and time.monotonic() - killed < BACK_WITHIN:
            progress.append((round(time.monotonic() - killed, 1), count))
            await asyncio.sleep(0.5)
        back = time.monotonic() - killed
        stuck = [(p.up.is_set(), p.upstream, p.failures[-5:]) for p in pages if not (p.up.is_set() and p.upstream == f"127.0.0.1:{survivor.port}")]
        assert count == len(pages) and back < BACK_WITHIN, f"{count} of {len(pages)} back after {back:.1f}s: {progress[::4]}; stuck: {stuck[:5]}"

        await send("after the storm")  # the sentinel: once it is everywhere, nothing else is due
        async with asyncio.timeout(10):
            while len(stored := await sync_to_async(stored_ids)()) < 12:
                await asyncio.sleep(0.05)
        await until(lambda: all(p.shown and p.shown[-1] == stored[-1] for p in pages), 30, "the last message everywhere")
        for page in pages:
            assert page.shown == stored, "a page missed a message"
        repeats = sum(len(p.received) - len(p.shown) for p in pages)  # in a resume and live both

        # Reconnects were spread out, not in step: the victim's clients' first attempts.
        first_tries = sorted(p.attempts_at[0] - killed for p in on_victim if p.attempts_at)
        spread_seconds = first_tries[-1] - first_tries[0]
        busiest_tenth = max(Counter(int(t / (RETRY_FIRST / 10)) for t in first_tries).values())
        assert spread_seconds > 0.5 * RETRY_FIRST and busiest_tenth < 0.25 * len(first_tries), "retries in step"
        back_times = sorted(p.back_at - killed for p in on_victim)

        # Presence: once the dead process has missed its heartbeats, its tabs no longer count;
        # a person who then closes their tabs on the survivor goes offline for their friends.
        gone = people[1]
        await asyncio.sleep(max(0, ProcessPresence.PROCESS_TTL + 1 - (time.monotonic() - killed)))
        await asyncio.gather(*(p.stop() for p in pages if p.session_key == sessions[1]))
        async with asyncio.timeout(10):
            while True:
                frame = await observer.recv()
                if f'"type":"presence","user":{gone.pk},' in frame:
                    assert json.loads(frame)["online"] is False
                    break

        # The process comes back on its port; once nginx tries it again, new tabs reach it.
        await sync_to_async(victim.restart)()
        late = []
        async def one_more():
            page = PageSocket(nginx, sessions[2 + len(late) % (PEOPLE - 2)], room.pk, gate)
            late.append(page)
            page.start()
            await until(page.up.is_set, 30, "a new tab connected")
            return page.upstream
        deadline = time.monotonic() + 30
        while await one_more() != f"127.0.0.1:{victim.port}":
            assert time.monotonic() < deadline, "no new connection reached the restarted process"
            await asyncio.sleep(0.5)
        pages.extend(late)

        print(
            f"\nstorm: {len(pages) - len(late)} sockets connected in {connect_seconds:.1f}s "
            f"({spread[f'127.0.0.1:{survivor.port}']}/{spread[f'127.0.0.1:{victim.port}']}); "
            f"{len(on_victim)} on the killed process back in {back:.1f}s "
            f"(median {statistics.median(back_times):.1f}s, p99 {back_times[int(len(back_times) * 0.99) - 1]:.1f}s); "
            f"first retries spread over {spread_seconds:.2f}s; {len(stored)} messages, none lost or doubled "
            f"({repeats} repeats dropped by id)"
        )
    finally:
        if observer is not None:
            await observer.close()
        await asyncio.gather(*(p.stop() for p in pages if p.task), return_exceptions=True)
        await sync_to_async(nginx.stop)()
        for server in servers:
            await sync_to_async(server.stop)()
