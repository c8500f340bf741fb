from django.urls import path, re_path

from labeling.scoring import pages

app_name = "results"

urlpatterns = [
    path("", pages.results_index, name="index"),
    path("<int:round_id>/", pages.results_page, name="round"),
    re_path(
        r"^(?P<round_id>[0-9]+)/(?P<name>figure1|table1|table2|scores)\.(?P<format>svg|png|csv)$",
        pages.results_download,
        name="download",
    ),
]
