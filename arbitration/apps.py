from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ArbitrationConfig(AppConfig):
    name = "arbitration"
    verbose_name = _("Arbitration")

    def ready(self) -> None:
        from arbitration import handlers
        from odr import events

        # In the transaction of the event: the referral row follows the case.
        events.register(
            "transition.refer_to_arbitration",
            phase="in_transaction",
            name="arbitration.on_referred",
        )(handlers.on_referred)
        events.register(
            "transition.arbitration_accept",
            "transition.arbitration_decline",
            "transition.record_award",
            "transition.settle",
            "transition.withdraw",
            phase="in_transaction",
            name="arbitration.on_case_moved",
        )(handlers.on_case_moved)
        # After commit: build the referral file, then push the notice.
        events.register(
            "transition.refer_to_arbitration",
            phase="after_commit",
            name="arbitration.build_after_referral",
        )(handlers.on_referred_after_commit)
