"""
The baseline of `bench/fanout.py --compare`: the chat consumer of the Channels tutorial
(docs/tutorial/part_3: every socket's own channel in the room's layer group, so a message to
a room of C members is C layer messages, C wake-ups, C sends). Kept under bench/, never in
the product.

Measured under the same conditions as the product, only the delivery differs: it stores a
message with the product's action (`rooms.actions.post_message`), whose publication after
the commit names the room's group with the fragment rendered once; here that group holds the
C socket channels instead of one hub channel per process, and each socket sends what its
channel receives. Sessions, the origin check and the send frame are the product's.
"""

import json
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.db import database_sync_to_async  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.urls import path  # noqa: E402

from realtime.origins import SiteOriginValidator  # noqa: E402
from realtime.protocol import error  # noqa: E402
from realtime.publish import frame_for  # noqa: E402
from rooms import actions  # noqa: E402
from rooms.groups import room_group  # noqa: E402
from rooms.models import Membership, Room  # noqa: E402


@database_sync_to_async
def room_groups(user):
    return [room_group(pk) for pk in Membership.objects.room_ids_of(user)]


@database_sync_to_async
def post(user, room_id, body, client_id):
    actions.post_message(Room.objects.of_member(user, room_id), user, body, client_id=client_id)


class TextbookConsumer(AsyncWebsocketConsumer):
    groups_joined = ()

    async def connect(self):
        self.user = self.scope["user"]
        if not self.user.is_authenticated:
            await self.close()
            return
        self.groups_joined = await room_groups(self.user)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        frame = json.loads(text_data)
        if frame.get("type") != "send":
            return
        try:
            await post(self.user, int(frame["room"]), frame["body"], frame.get("client_id"))
        except ValidationError as refused:  # not a member, over the rate limit...
            await self.send(text_data=error(" ".join(refused.messages)))

    async def hub_message(self, event):
        """What the product's publication calls its layer message (realtime.publish.HUB_MESSAGE)."""
        if event.get("html"):  # one text, or one per language (the site's default here)
            await self.send(text_data=frame_for(event["html"], settings.LANGUAGE_CODE))


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SiteOriginValidator(AuthMiddlewareStack(URLRouter([path("ws/chat/", TextbookConsumer.as_asgi())]))),
    }
)
