"""The chat WebSocket: one per browser tab, authenticated by the Django session."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

# Close code for a socket without a logged-in user (like HTTP 401).
CLOSE_UNAUTHENTICATED = 4401


class ChatConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            # Accept first so the browser sees our close code rather than a bare 403.
            await self.accept()
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        await self.accept()
