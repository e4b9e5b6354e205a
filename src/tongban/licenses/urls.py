"""Pages of e-licences (电子证照) under /licenses/: the wallet, showing, the public check, one licence."""

from django.urls import path

from tongban.licenses import pages, pages_sharing

app_name = "licenses"

urlpatterns = [
    path("licenses/", pages.wallet, name="wallet"),
    path("licenses/verify/", pages.verify, name="verify"),
    path("licenses/shown/<str:token>/", pages.shown, name="shown"),
    path("licenses/<str:identifier>/", pages.detail, name="detail"),
    path("licenses/<str:identifier>/show/", pages.show, name="show"),
    path("licenses/<str:identifier>/pdf/", pages.pdf, name="pdf"),
    path("licenses/<str:identifier>/json/", pages.json_document, name="json"),
    path("licenses/<str:identifier>/actions/<str:action>/", pages.act, name="act"),
    # 免提交: a holder's e-licence for a case's material (consent and look-up, what was found, use one).
    path("cases/<str:number>/materials/<int:material_id>/license/", pages_sharing.find, name="sharing-find"),
    path("cases/<str:number>/materials/<int:material_id>/license/found/", pages_sharing.found, name="sharing-found"),
    path("cases/<str:number>/materials/<int:material_id>/license/use/", pages_sharing.use, name="sharing-use"),
]
