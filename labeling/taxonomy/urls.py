from django.urls import path, re_path

from labeling.taxonomy import views
from labeling.taxonomy.text import WNID

app_name = "taxonomy"

# re_path rather than a registered converter: converters are global, and other apps may name one
# "wnid" too.
WNID_PART = rf"(?P<wnid>{WNID})"

urlpatterns = [
    path("", views.class_index, name="index"),
    path("compare/", views.compare, name="compare"),
    re_path(rf"^node/{WNID_PART}/$", views.node_detail, name="node"),
    re_path(rf"^{WNID_PART}/$", views.class_detail, name="class"),
]
