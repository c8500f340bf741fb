from django.urls import path

from labeling.training import views

app_name = "training"

urlpatterns = [
    path("rounds/<int:round_id>/feedback/<str:item>/", views.feedback_panel, name="feedback"),
    path("requests/", views.request_create, name="request-create"),
    path("requests/<int:request_id>/round/", views.request_fulfil, name="request-fulfil"),
    path("me/", views.my_dashboard, name="me"),
    path("me/curve.svg", views.my_curve, name="me-curve"),
    path("overview/", views.overview, name="overview"),
    path("rounds/<int:round_id>/review/", views.review, name="review"),
    path(
        "rounds/<int:round_id>/review/<str:item>/comments/",
        views.review_comment,
        name="review-comment",
    ),
]
