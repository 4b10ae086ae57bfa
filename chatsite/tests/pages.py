"""
Every page of the site, as the guards against server errors ask for them
(test_no_server_errors.py): a small site with one of each thing a URL can point at, and
for each URL of the site the requests a browser or a client makes of it.
"""

from dataclasses import dataclass
from io import BytesIO

from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from PIL import Image

from accounts.actions import start_export
from accounts.tests.factories import UserFactory
from friends.models import FriendRequest, Friendship
from rooms.models import Favorite, Message, Room
from moderation.models import Report

HUGE = "9" * 25


@dataclass
class Site:
    alice: object  # logged in for "member" pages: in every room below
    root: object  # a superuser, for the admin
    direct: object  # alice and bob
    group: object  # alice, bob and carol
    message: object  # bob's, in the direct room
    picture: object  # bob's, in the direct room
    incoming: object  # dave asks alice
    outgoing: object  # alice asks erin
    friend: object  # bob
    export: object  # alice's, ready (its ZIP in settings.EXPORTS_ROOT)


def png(name="garden.png"):
    out = BytesIO()
    Image.new("RGB", (64, 48), (40, 160, 90)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def build_site():
    """One of each thing (the attachments go to settings.ATTACHMENTS_ROOT, the export to EXPORTS_ROOT)."""
    alice, bob, carol, dave, erin = (UserFactory(username=n, nickname=n.title()) for n in ("alice", "bob", "carol", "dave", "erin"))
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    for other in (bob, carol):
        Friendship.objects.befriend(alice, other)
    direct, _ = Room.objects.get_or_create_direct(alice, bob)
    group = Room.objects.create_group(alice, "Weekend", [bob, carol])
    message = Message.objects.post(direct, bob, "Shall we go climbing? https://example.com/crag")
    picture = Message.objects.post_file(direct, bob, png())
    Message.objects.post(group, carol, "count me in")
    Favorite.objects.add(alice, message)
    Report.objects.file(message, alice, Report.Reason.SPAM, "a test report")
    incoming = FriendRequest.objects.send(dave, alice, reason="hi")
    outgoing = FriendRequest.objects.send(alice, erin)
    export = start_export(alice)
    LogEntry.objects.log_actions(root.pk, [carol], CHANGE, "a test entry", single_object=True)
    return Site(alice, root, direct, group, message, picture, incoming, outgoing, bob, export)


def site_paths(site):
    """Every URL of the site (but the admin's), with real objects in it, and a few twists."""
    uid = urlsafe_base64_encode(force_bytes(site.alice.pk))
    token = default_token_generator.make_token(site.alice)
    room, group, message = site.direct.pk, site.group.pk, site.message.pk
    return [
        "/",
        "/healthz",
        "/metrics",
        "/favicon.ico",
        "/no-such-page/",
        "/chat",  # without its slash
        reverse("accounts:signup"),
        reverse("accounts:login"),
        reverse("accounts:logout"),
        reverse("accounts:profile"),
        reverse("accounts:time_zone"),
        reverse("set_language"),
        reverse("javascript_catalog"),
        reverse("accounts:export"),
        reverse("accounts:export_download", args=[site.export.pk]),
        reverse("accounts:export_download", args=[HUGE]),
        reverse("accounts:delete"),
        reverse("accounts:deleted"),
        reverse("accounts:password_reset"),
        reverse("accounts:password_reset_done"),
        reverse("accounts:password_reset_confirm", args=[uid, token]),
        reverse("accounts:password_reset_confirm", args=[uid, "not-a-token"]),
        reverse("accounts:password_reset_complete"),
        reverse("friends:list"),
        reverse("friends:list") + "?q=bo&page=" + HUGE,
        reverse("friends:add"),
        reverse("friends:remove", args=[site.friend.pk]),
        reverse("friends:requests"),
        reverse("friends:requests") + "?incoming=2&outgoing=" + HUGE,
        reverse("friends:accept", args=[site.incoming.pk]),
        reverse("friends:reject", args=[site.incoming.pk]),
        reverse("friends:cancel", args=[site.outgoing.pk]),
        reverse("rooms:chat"),
        reverse("rooms:chat") + "?q=wee&rooms=" + HUGE,
        reverse("rooms:new_group"),
        reverse("rooms:room", args=[room]),
        reverse("rooms:room", args=[room]) + f"?around={message}",
        reverse("rooms:room", args=[room]) + "?before=" + HUGE,
        reverse("rooms:room", args=[group]),
        reverse("rooms:room", args=[HUGE]),
        reverse("rooms:history", args=[room]) + f"?before={message}",
        reverse("rooms:post_message", args=[room]),
        reverse("rooms:upload", args=[room]),
        reverse("rooms:changes", args=[room]) + f"?from=1&to={HUGE}",
        reverse("rooms:add_members", args=[group]),
        reverse("rooms:rename", args=[group]),
        reverse("rooms:leave", args=[group]),
        reverse("rooms:mute", args=[room]),
        reverse("rooms:switcher") + "?q=" + HUGE,
        reverse("friends:suggest") + "?username=" + HUGE,
        reverse("rooms:direct", args=[site.friend.pk]),
        reverse("rooms:message", args=[message]),
        reverse("rooms:edit_message", args=[message]),
        reverse("rooms:delete_message", args=[message]),
        reverse("rooms:favorite", args=[message]),
        reverse("rooms:unfavorite", args=[message]),
        reverse("rooms:reply", args=[message]),
        reverse("rooms:react", args=[message]),
        reverse("rooms:room", args=[room]) + f"?reply_to={message}",
        reverse("rooms:room", args=[room]) + "?reply_to=" + HUGE,
        reverse("rooms:file", args=[site.picture.pk]),
        reverse("rooms:thumbnail", args=[site.picture.pk]),
        reverse("rooms:file", args=[message]),
        reverse("rooms:reader_css"),
        reverse("rooms:starred_css", args=[room]),
        reverse("rooms:starred_css", args=[HUGE]),
        reverse("rooms:favorites"),
        reverse("rooms:favorites") + "?before=" + HUGE,
        reverse("rooms:search") + "?q=climbing-guide",
        reverse("rooms:search") + "?q=climbing&offset=" + HUGE,
        reverse("moderation:report_message", args=[room, message]),
    ]


def admin_paths(site):
    """The admin's index, and for every model in it the list, a search, and one object's pages."""
    objects = {
        "accounts.user": site.alice,
        "auth.group": None,
        "friends.friendrequest": site.incoming,
        "friends.friendship": Friendship.objects.first(),
        "rooms.room": site.group,
        "rooms.membership": site.group.memberships.first(),
        "rooms.message": site.picture,
        "moderation.report": Report.objects.first(),
        "admin.logentry": LogEntry.objects.first(),
    }
    paths = [reverse("admin:index"), reverse("admin:login")]
    for model in admin.site._registry:
        label = f"{model._meta.app_label}_{model._meta.model_name}"
        paths += [reverse(f"admin:{label}_changelist"), reverse(f"admin:{label}_changelist") + "?q=alice&o=1"]
        paths.append(reverse(f"admin:{label}_add"))
        obj = objects[model._meta.label_lower]
        if obj is not None:
            for view in ("change", "history", "delete"):
                paths.append(reverse(f"admin:{label}_{view}", args=[obj.pk]))
    for part in ("file", "thumbnail"):
        paths.append(reverse("admin:rooms_message_attachment", args=[site.picture.pk, part]))
    return paths


def url_names():
    """The name of every URL pattern of the site, but the admin's."""
    names = set()

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    walk(pattern.url_patterns, f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(namespace + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def variants(path):
    """What a client does with a URL: GET it, GET it as htmx does, POST to it without a CSRF token."""
    return [("GET", path, {}), ("GET", path, {"HX-Request": "true"}), ("POST", path, {})]
