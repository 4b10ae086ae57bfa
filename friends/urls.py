from django.urls import path

from . import views

app_name = "friends"

urlpatterns = [
    path("", views.friend_list, name="list"),
    path("add/", views.send_request, name="add"),
    path("suggest/", views.suggest, name="suggest"),
    path("<int:user_id>/remove/", views.remove_friend, name="remove"),
    path("requests/", views.requests_page, name="requests"),
    path("requests/<int:pk>/accept/", views.accept_request, name="accept"),
    path("requests/<int:pk>/reject/", views.reject_request, name="reject"),
    path("requests/<int:pk>/cancel/", views.cancel_request, name="cancel"),
]
