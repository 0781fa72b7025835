"""What every WebSocket consumer of the service shares: frames that are not JSON text
(binary, empty, malformed) are handed on as ``None`` instead of failing the socket."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer


class JsonSocket(AsyncJsonWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:
        # Channels raises (closing with 1011) on a binary or empty frame; a client's
        # mistake is answered, or ignored, by receive_json(None) instead.
        content = await self.decode_json(text_data) if text_data else None
        await self.receive_json(content, **kwargs)

    async def decode_json(self, text_data):
        try:
            return await super().decode_json(text_data)
        except ValueError:
            return None
