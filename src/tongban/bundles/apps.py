from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BundlesConfig(AppConfig):
    name = "tongban.bundles"
    label = "bundles"
    verbose_name = _("Life-event bundles")

    def ready(self) -> None:
        from tongban.bundles.services import applications
        from tongban.cases import services as cases

        if applications.item_moved not in cases.AFTER_TRANSITION:
            cases.AFTER_TRANSITION.append(applications.item_moved)
