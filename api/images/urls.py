from django.urls import path

from api.images import views

urlpatterns = [
    path("references/", views.ReferencePreviewsView.as_view(), name="reference-previews"),
    path(
        "classes/<str:wnid>/references/",
        views.ClassReferencesView.as_view(),
        name="class-references",
    ),
]
