from django.urls import path

from api.rounds import views

urlpatterns = [
    path("rounds/", views.RoundListView.as_view(), name="rounds"),
    path("rounds/<int:round_id>/next/", views.NextItemView.as_view(), name="round-next"),
    path(
        "rounds/<int:round_id>/previous/", views.PreviousItemView.as_view(), name="round-previous"
    ),
    path("rounds/<int:round_id>/progress/", views.ProgressView.as_view(), name="round-progress"),
    path("rounds/<int:round_id>/answers/", views.AnswersView.as_view(), name="round-answers"),
    path("rounds/<int:round_id>/judgments/", views.JudgmentsView.as_view(), name="round-judgments"),
]
