from django.urls import path

from . import views

app_name = "friends"

urlpatterns = [
    path("", views.friend_list, name="list"),
    path("requests/", views.requests_page, name="requests"),
]
