from django.urls import path

from api.taxonomy import views

urlpatterns = [
    path("classes/", views.ClassListView.as_view(), name="class-list"),
    # Before classes/<wnid>/, which would otherwise take "search" for a wnid.
    path("classes/search/", views.ClassSearchView.as_view(), name="class-search"),
    path("classes/<str:wnid>/", views.ClassDetailView.as_view(), name="class-detail"),
    path("taxonomy/", views.TaxonomyRootView.as_view(), name="taxonomy-root"),
    path(
        "taxonomy/<str:wnid>/children/",
        views.NodeChildrenView.as_view(),
        name="taxonomy-children",
    ),
    path("taxonomy/<str:wnid>/paths/", views.NodePathsView.as_view(), name="taxonomy-paths"),
    path("taxonomy/<str:wnid>/classes/", views.NodeClassesView.as_view(), name="taxonomy-classes"),
]
