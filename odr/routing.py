"""WebSocket routes. Apps add theirs here as they land (mediation: /ws/cases/{ref}/)."""

websocket_urlpatterns: list = []
