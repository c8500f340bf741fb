from django.urls import path, re_path

from labeling.taxonomy import views

app_name = "taxonomy"

# re_path rather than a registered converter: converters are global, and other apps may name one
# "wnid" too.
WNID = r"(?P<wnid>n[0-9]{8})"

urlpatterns = [
    path("", views.class_index, name="index"),
    path("compare/", views.compare, name="compare"),
    re_path(rf"^node/{WNID}/$", views.node_detail, name="node"),
    re_path(rf"^{WNID}/$", views.class_detail, name="class"),
]
