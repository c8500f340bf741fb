from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from labeling.accounts import views as account_views
from labeling.health import healthz

admin.site.site_header = "ImageNet human-accuracy study — administration"
admin.site.site_title = "Study admin"

urlpatterns = [
    path("", account_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        account_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path("accounts/token/", account_views.token_new, name="token-new"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("api.urls")),
    path("classes/", include("labeling.taxonomy.urls")),
    path("guide/", include("labeling.guide.urls")),
    path("files/", include("labeling.images.urls")),
    path("label/", include("labeling.rounds.urls")),
    path("training/", include("labeling.training.urls")),
    path("results/", include("labeling.scoring.urls")),
]

handler403 = "labeling.errors.forbidden"
handler404 = "labeling.errors.not_found"
handler500 = "labeling.errors.server_error"
