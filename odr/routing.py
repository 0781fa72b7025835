"""WebSocket routes: the live case socket and the mediator's console (mediation/), and the
unread badge (notifications/)."""

from django.conf import settings
from django.urls import path

from mediation.consumers import CaseConsumer, ConsoleConsumer
from notifications.consumers import InboxConsumer

websocket_urlpatterns: list = [
    path("ws/cases/<str:ref>/", CaseConsumer.as_asgi()),
    path("ws/mediation/console/", ConsoleConsumer.as_asgi()),
    path("ws/inbox/", InboxConsumer.as_asgi()),
]

if settings.ODR_BENCH_ENDPOINTS:
    # Benchmark baseline (bench/chat.py); imported here so production never loads bench/.
    from bench.chat import BareGroupConsumer

    websocket_urlpatterns.append(path("bench/ws/bare/<str:room>/", BareGroupConsumer.as_asgi()))
