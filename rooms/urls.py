from django.urls import path

from . import views

app_name = "rooms"

urlpatterns = [
    path("chat/", views.chat, name="chat"),
    path("chat/groups/new/", views.new_group, name="new_group"),
    path("chat/switcher/", views.switcher, name="switcher"),
    path("chat/<int:room_id>/", views.chat, name="room"),
    path("chat/reader.css", views.reader_css, name="reader_css"),
    path("chat/<int:room_id>/starred.css", views.starred_css, name="starred_css"),
    path("chat/<int:room_id>/history/", views.history, name="history"),
    path("chat/<int:room_id>/messages/", views.post_message, name="post_message"),
    path("chat/<int:room_id>/files/", views.upload, name="upload"),
    path("chat/<int:room_id>/changes/", views.changes, name="changes"),
    path("chat/<int:room_id>/members/", views.add_members, name="add_members"),
    path("chat/<int:room_id>/rename/", views.rename, name="rename"),
    path("chat/<int:room_id>/leave/", views.leave, name="leave"),
    path("chat/<int:room_id>/mute/", views.mute, name="mute"),
    path("rooms/direct/<int:user_id>/", views.open_direct, name="direct"),
    # A message's URLs all start with rooms:message (the message fragment reverses it once).
    path("messages/<int:message_id>/", views.message, name="message"),
    path("messages/<int:message_id>/edit/", views.edit_message, name="edit_message"),
    path("messages/<int:message_id>/delete/", views.delete_message, name="delete_message"),
    path("messages/<int:message_id>/reply/", views.reply, name="reply"),
    path("messages/<int:message_id>/react/", views.react, name="react"),
    path("messages/<int:message_id>/favorite/", views.favorite, name="favorite"),
    path("messages/<int:message_id>/unfavorite/", views.unfavorite, name="unfavorite"),
    path("messages/<int:message_id>/file/", views.attachment, {"part": "file"}, name="file"),
    path("messages/<int:message_id>/thumbnail/", views.attachment, {"part": "thumbnail"}, name="thumbnail"),
    path("favorites/", views.favorites, name="favorites"),
    path("search/", views.search, name="search"),
]
