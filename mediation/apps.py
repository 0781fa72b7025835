from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "mediation"
    verbose_name = _("Mediation")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from mediation.handlers import on_access_changed, on_case_event, on_logged_out
        from odr import access, events

        # After commit, for every kind: the handler picks transition.*, deadline.*, case.*
        # and negotiation messages, and ignores the rest at once.
        events.register("*", phase="after_commit", name="mediation.on_case_event")(on_case_event)
        # Logging out closes that session's sockets (an auth signal, not domain flow).
        user_logged_out.connect(on_logged_out, dispatch_uid="mediation.on_logged_out")
        # A role taken away or an account deactivated: the user's sockets check again now.
        access.register("mediation.user_recheck", on_access_changed)
