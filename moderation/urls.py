from django.urls import path

from . import views

app_name = "moderation"

urlpatterns = [
    path("chat/<int:room_id>/messages/<int:message_id>/report/", views.report_message, name="report_message"),
]
