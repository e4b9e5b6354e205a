"""A URL map with endpoints that escape the policy, to prove the coverage check finds them."""

from django.urls import include, path
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from tongban.catalog.api import RegionViewSet


class NoPolicyViewSet(viewsets.ViewSet):
    """Forgot its policy altogether."""

    def list(self, request):  # type: ignore[no-untyped-def]
        return Response([])


class PartlyDeclaredViewSet(viewsets.ViewSet):
    """Declares list but not its extra action."""

    policy = {"list": "catalog.read"}

    def list(self, request):  # type: ignore[no-untyped-def]
        return Response([])

    @action(detail=False, methods=["post"])
    def purge(self, request):  # type: ignore[no-untyped-def]
        return Response({"purged": True})


class UnknownActionView(APIView):
    policy = {"GET": "catalog.reed"}  # a typo: no such rule

    def get(self, request):  # type: ignore[no-untyped-def]
        return Response({})


class BypassingView(APIView):
    policy = {"GET": "catalog.read"}
    permission_classes = [AllowAny]  # declares, but does not let the policy decide

    def get(self, request):  # type: ignore[no-untyped-def]
        return Response({})


router = SimpleRouter()
router.register("nopolicy", NoPolicyViewSet, basename="nopolicy")
router.register("partly", PartlyDeclaredViewSet, basename="partly")
router.register("regions", RegionViewSet, basename="region")

api = [
    path("unknown/", UnknownActionView.as_view()),
    path("bypass/", BypassingView.as_view()),
    *router.urls,
]
urlpatterns = [path("api/v1/", include(api))]
