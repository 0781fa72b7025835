from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GroupsConfig(AppConfig):
    name = "groups"
    verbose_name = _("Group complaints")

    def ready(self) -> None:
        from groups.wizard import REVIEW_EXTRA
        from odr import submission

        # A complaint against a merchant with an open group on the same matter: the
        # wizard's review step offers to join it (the consumer's choice).
        submission.register(REVIEW_EXTRA)

    def seed_demo(self) -> None:
        from groups.demo import seed_demo

        seed_demo()
