from django.urls import path

from labeling.rounds import pages

app_name = "label"

urlpatterns = [
    path("<int:round_id>/", pages.label_screen, name="screen"),
    path("classes/<str:wnid>/", pages.candidate_panel, name="candidate"),
]
