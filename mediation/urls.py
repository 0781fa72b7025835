from django.urls import path

from mediation import views

app_name = "mediation"

urlpatterns = [
    path("", views.console, name="console"),
    path("cases/<str:ref>/", views.room, name="room"),
    path("cases/<str:ref>/panel/", views.panel, name="panel"),
]
