from django.urls import path

from labeling.guide import views

app_name = "guide"

urlpatterns = [
    path("", views.index, name="index"),
    path("entries/<str:wnid>/", views.entry_detail, name="entry"),
    path("entries/<str:wnid>/edit/", views.entry_edit, name="entry_edit"),
    path("entries/<str:wnid>/history/", views.entry_history, name="entry_history"),
    path("notes/new/", views.note_new, name="note_new"),
    path("notes/<int:pk>/", views.note_detail, name="note"),
    path("notes/<int:pk>/edit/", views.note_edit, name="note_edit"),
    path("notes/<int:pk>/history/", views.note_history, name="note_history"),
    path("preview/", views.preview, name="preview"),
    path("freeze/", views.freeze, name="freeze"),
]
