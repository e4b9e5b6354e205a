from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FederationConfig(AppConfig):
    """联盟交换: the signed exchange of messages between regional nodes."""

    name = "tongban.federation"
    label = "federation"
    verbose_name = _("federation")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tongban.federation import handlers  # noqa: F401  (registers the built-in message types)
