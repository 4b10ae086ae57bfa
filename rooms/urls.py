from django.urls import path

from . import reports
from . import views

app_name = "rooms"

urlpatterns = [
    path("chat/", views.chat, name="chat"),
    path("chat/groups/new/", views.new_group, name="new_group"),
    path("chat/<int:room_id>/", views.chat, name="room"),
    path("chat/<int:room_id>/history/", views.history, name="history"),
    path("chat/<int:room_id>/messages/", views.post_message, name="post_message"),
    path("chat/<int:room_id>/members/", views.add_members, name="add_members"),
    path("chat/<int:room_id>/rename/", views.rename, name="rename"),
    path("chat/<int:room_id>/leave/", views.leave, name="leave"),
    path("rooms/direct/<int:user_id>/", views.open_direct, name="direct"),
    path("chat/<int:room_id>/messages/<int:message_id>/report/", reports.report_message, name="report_message"),
]
