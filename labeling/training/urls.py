from django.urls import path

from labeling.training import views

app_name = "training"

urlpatterns = [
    path("rounds/<int:round_id>/feedback/<str:item>/", views.feedback_panel, name="feedback"),
]
