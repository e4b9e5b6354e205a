from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensesConfig(AppConfig):
    """电子证照与电子印章: e-licences, the seals that sign them, and the transparency log that records them."""

    name = "tongban.licenses"
    label = "licenses"
    verbose_name = _("e-licences")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tongban.licenses import handlers, hooks  # noqa: F401  (registers the message types)

        hooks.register()
