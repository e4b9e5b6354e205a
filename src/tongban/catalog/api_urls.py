from django.urls import path
from rest_framework.routers import DefaultRouter

from tongban.catalog import api

router = DefaultRouter()
router.register("regions", api.RegionViewSet, basename="region")
router.register("departments", api.DepartmentViewSet, basename="department")
router.register("halls", api.HallViewSet, basename="hall")
router.register("items", api.ServiceItemViewSet, basename="item")
router.register("implementations", api.ImplementationViewSet, basename="implementation")
router.register("agreements", api.AgreementViewSet, basename="agreement")

urlpatterns = [path("search/", api.SearchView.as_view(), name="search"), *router.urls]
