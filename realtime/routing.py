from django.urls import path

from .consumer import SocketConsumer

websocket_urlpatterns = [
    path("ws/chat/", SocketConsumer.as_asgi()),
]
