from django.urls import path

from labeling.images import views

app_name = "images"

urlpatterns = [
    path("references/<int:reference_id>/", views.reference_file, name="reference-file"),
    path(
        "references/<int:reference_id>/thumb/",
        views.reference_thumbnail,
        name="reference-thumbnail",
    ),
    # Images to label: the opaque public id only, never anything derived from class or source.
    path("images/<slug:public_id>/", views.image_file, name="image-file"),
    path("images/<slug:public_id>/thumb/", views.image_thumbnail, name="image-thumbnail"),
]
