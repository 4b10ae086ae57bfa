"""What a process keeps per socket goes with the socket (10,000 sockets come and go all day)."""

import pytest

from realtime.hub import get_hub
from realtime.publish import user_group

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_closed_socket_leaves_nothing_of_its_groups_in_the_hub(alice, bob, sockets):
    await sockets(alice)
    bobs = await sockets(bob)
    hub = await get_hub()
    assert user_group(bob.pk) in hub.sockets
    await bobs.disconnect()
    assert user_group(bob.pk) not in hub.sockets
    assert user_group(bob.pk) not in hub._locks
    assert list(hub._locks) == []  # nobody is joining or leaving anything now
