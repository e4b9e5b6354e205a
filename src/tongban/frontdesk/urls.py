"""Pages of the front desk (一窗通办) under /frontdesk/: the windows' workbench, the queue board, the kiosk."""

from django.urls import path

from tongban.frontdesk import pages

app_name = "frontdesk"

urlpatterns = [
    path("frontdesk/", pages.index, name="index"),
    path("frontdesk/windows/<int:window_id>/", pages.workbench, name="workbench"),
    path("frontdesk/windows/<int:window_id>/actions/<str:action>/", pages.act, name="act"),
    path("frontdesk/halls/<int:hall_id>/board/", pages.board, name="board"),
    path("frontdesk/halls/<int:hall_id>/take/", pages.kiosk, name="kiosk"),
    path("frontdesk/halls/<int:hall_id>/figures/", pages.figures, name="figures"),
]
