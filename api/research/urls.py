from django.urls import path

from api.research import views

urlpatterns = [
    path("research/images/", views.ImagesView.as_view(), name="research-images"),
    path("research/classes/", views.ClassesView.as_view(), name="research-classes"),
    path("research/labels/", views.LabelsView.as_view(), name="research-labels"),
    path(
        "research/human-predictions/",
        views.HumanPredictionsView.as_view(),
        name="research-human-predictions",
    ),
    path(
        "research/model-predictions/",
        views.ModelPredictionsView.as_view(),
        name="research-model-predictions",
    ),
    path("research/judgments/", views.JudgmentsView.as_view(), name="research-judgments"),
    path("research/rounds/", views.RoundsView.as_view(), name="research-rounds"),
    path(
        "rounds/<int:round_id>/human-predictions/",
        views.RoundHumanPredictionsView.as_view(),
        name="round-human-predictions",
    ),
    path("rounds/<int:round_id>/export/", views.ExportView.as_view(), name="round-export"),
    path("rounds/<int:round_id>/scores/", views.ScoresView.as_view(), name="round-scores"),
]
