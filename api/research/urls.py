from django.urls import path

from api.research import views

urlpatterns = [
    path("rounds/<int:round_id>/scores/", views.ScoresView.as_view(), name="round-scores"),
]
