from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView

from api import views

app_name = "api"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.ApiRootView.as_view(), name="root"),
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", views.ApiDocsView.as_view(), name="docs"),
    path("", include("api.taxonomy.urls")),
    path("", include("api.guide.urls")),
    path("", include("api.images.urls")),
    path("", include("api.rounds.urls")),
    path("", include("api.research.urls")),
]
