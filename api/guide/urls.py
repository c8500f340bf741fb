from django.urls import path

from api.guide import views

urlpatterns = [
    path("guide/entries/", views.GuideEntryListView.as_view(), name="guide-entries"),
    path("guide/entries/<str:wnid>/", views.GuideEntryDetailView.as_view(), name="guide-entry"),
    path(
        "guide/entries/<str:wnid>/revisions/",
        views.GuideEntryRevisionListView.as_view(),
        name="guide-entry-revisions",
    ),
    path("guide/notes/", views.DistinctionNoteListView.as_view(), name="guide-notes"),
    path("guide/notes/<int:pk>/", views.DistinctionNoteDetailView.as_view(), name="guide-note"),
    path(
        "guide/notes/<int:pk>/revisions/",
        views.DistinctionNoteRevisionListView.as_view(),
        name="guide-note-revisions",
    ),
    path("guide/export/", views.GuideExportView.as_view(), name="guide-export"),
    path("guide/import/", views.GuideImportView.as_view(), name="guide-import"),
    path("guide/freeze/", views.GuideFreezeListView.as_view(), name="guide-freezes"),
    path("guide/freeze/<int:pk>/", views.GuideFreezeDetailView.as_view(), name="guide-freeze"),
    path(
        "guide/freeze/<int:pk>/release/",
        views.GuideFreezeReleaseView.as_view(),
        name="guide-freeze-release",
    ),
]
