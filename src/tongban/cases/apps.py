from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "tongban.cases"
    label = "cases"
    verbose_name = _("Case handling")

    def ready(self) -> None:
        from tongban.cases import services
        from tongban.cases.services import transfer  # registers case.transfer, case.file, case.status, …

        if transfer.after_act not in services.AFTER_ACT:
            services.AFTER_ACT.append(transfer.after_act)
