"""Pages of case handling under /cases/ (applicants and staff), and the public notice check."""

from django.urls import path

from tongban.cases import views
from tongban.cases.pages import apply, commitments, detail, intake, lists

app_name = "cases"

urlpatterns = [
    path("notices/verify/<str:token>/", views.notice_verify, name="notice-verify"),
    path("cases/", lists.home, name="home"),
    path("cases/apply/<int:implementation_id>/", apply.apply, name="apply"),
    path("cases/mine/", lists.mine, name="mine"),
    path("cases/intake/", intake.intake, name="intake"),
    path("cases/queue/", lists.queue, name="queue"),
    path("cases/supervision/", lists.supervision, name="supervision"),
    path("cases/verifications/", commitments.verification_queue, name="verifications"),
    path("cases/<str:number>/", detail.detail, name="detail"),
    path("cases/<str:number>/trace/", detail.trace, name="trace"),
    path("cases/<str:number>/draft/", detail.draft, name="draft"),
    path("cases/<str:number>/actions/<str:action>/", detail.act, name="act"),
    path("cases/<str:number>/materials/<int:material_id>/upload/", detail.upload, name="upload"),
    path("cases/<str:number>/materials/<int:material_id>/record/", detail.record, name="record"),
    path(
        "cases/<str:number>/commitments/<int:commitment_id>/signed-copy/",
        commitments.signed_copy,
        name="commitment-file",
    ),
]
