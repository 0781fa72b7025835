"""/disclosure/: public disclosure of merchants' complaint information."""

from django.urls import path

from credit import views

urlpatterns = [path("", views.disclosure, name="disclosure")]
