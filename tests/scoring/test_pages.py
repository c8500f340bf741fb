"""The results pages: Tables 1 and 2, Figure 1 and their downloads, for admins and researchers."""

from __future__ import annotations

import csv
import io

import pytest

from labeling.research.selectors import labeler_pseudonym
from tests.helpers import login
from tests.scoring.factories import make_scored_round

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(imagenet_classes):
    return make_scored_round()


def test_the_page_shows_both_tables_in_the_study_layout_and_the_figure(scored, researcher):
    response = login(researcher).get(f"/results/{scored.round.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    alice = labeler_pseudonym(scored.labelers["alice"].pk)
    # Table 1: models first, then humans; accuracy [interval] on each source, and the gap.
    table1 = html.split('id="table1"')[1].split("</table>")[0]
    assert table1.index("resnet50") < table1.index(alice)
    assert "75.0 [19.4, 99.4]" in table1 and "66.7 [9.4, 99.2]" in table1
    table2 = html.split('id="table2"')[1].split("</table>")[0]
    for title in ("All Images", "Without Dogs", "Objects Only", "Fast Images"):
        assert title in table2
    assert f'src="/results/{scored.round.pk}/figure1.svg"' in html
    assert 'style="' not in html  # the Content-Security-Policy forbids style attributes


def test_the_figure_is_an_svg_with_a_policy_for_its_own_styles(scored, study_admin):
    response = login(study_admin).get(f"/results/{scored.round.pk}/figure1.svg")
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<?xml") and b"<svg" in response.content
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    png = login(study_admin).get(f"/results/{scored.round.pk}/figure1.png?download=1")
    assert png.content.startswith(b"\x89PNG")
    assert png["Content-Disposition"] == (
        f'attachment; filename="round-{scored.round.pk}-figure1.png"'
    )


def test_the_tables_download_as_csv(scored, researcher):
    client = login(researcher)
    table1 = list(
        csv.reader(
            io.StringIO(client.get(f"/results/{scored.round.pk}/table1.csv").content.decode())
        )
    )
    assert table1[0] == ["Participant", "Original", "V2", "Gap"] and len(table1) == 4
    scores = client.get(f"/results/{scored.round.pk}/scores.csv").content.decode()
    policies = {row["unclear"] for row in csv.DictReader(io.StringIO(scores))}
    assert policies == {"wrong", "right", "excluded"}


def test_annotators_and_anonymous_visitors_cannot_see_results(scored, annotator, client):
    assert login(annotator).get(f"/results/{scored.round.pk}/").status_code == 403
    assert login(annotator).get(f"/results/{scored.round.pk}/figure1.svg").status_code == 403
    assert client.get(f"/results/{scored.round.pk}/").status_code == 302


def test_the_index_lists_evaluation_rounds(scored, researcher):
    response = login(researcher).get("/results/")
    assert scored.round.name in response.content.decode()


def test_an_unknown_round_or_download_is_a_404(scored, researcher):
    assert login(researcher).get("/results/999/").status_code == 404
    assert login(researcher).get(f"/results/{scored.round.pk}/table1.png").status_code == 404
