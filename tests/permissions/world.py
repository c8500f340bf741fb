"""One small study for the permission matrix: an open round of every kind (evaluation, training,
annotation review, final review) with answers, images with their files, a class with a guide
entry, a note and a reference image, a released guide freeze, a training request, a row for
every model the admin shows, and the six personas the matrix asks as, each with a logged-in
client (and the researcher a token). `patterns.url_for` fills URL arguments from it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from labeling.accounts.roles import Role
from labeling.accounts.services import token_get_or_create
from labeling.guide.models import DistinctionNote, GuideFreeze
from labeling.guide.services import (
    distinction_note_save,
    guide_entry_save,
    guide_freeze,
    guide_release,
)
from labeling.images.models import Image, ReferenceImage
from labeling.review.services import final_review_create, image_labels_replace
from labeling.rounds.models import Answer, InteractionLog, Round
from labeling.rounds.services import interaction_log_process
from labeling.taxonomy.models import ClassGroup, Hypernymy, Synset, SynsetClosure
from labeling.training.models import TrainingRequest
from labeling.training.services import (
    answer_stat_compute,
    review_comment_add,
    training_request_create,
    training_round_create,
)
from tests.helpers import api_client_for, make_user
from tests.images.factories import make_image, make_references
from tests.review.factories import make_review_round, predict
from tests.rounds.factories import make_round
from tests.rounds.helpers import next_item, post_answer
from tests.taxonomy.factories import imagenet_class_list

TENCH, GOLDFISH, SHARK = "n01440764", "n01443537", "n01484850"
CYPRINID = "n01439121"

# The personas, in the order the matrix reports them.
ANONYMOUS = "anonymous"
ANNOTATOR = "annotator"  # assigned to every round of the world but the other one
OTHER_ANNOTATOR = "other_annotator"  # assigned only to `other_evaluation`
STUDY_ADMIN = "study_admin"  # the admin role: staff, not a superuser
RESEARCHER = "researcher"  # a token for /api/ and /files/, a session for pages
NO_ROLE = "no_role"  # logged in, no role at all
PERSONAS = (ANONYMOUS, ANNOTATOR, OTHER_ANNOTATOR, STUDY_ADMIN, RESEARCHER, NO_ROLE)


@dataclass
class World:
    users: dict[str, User]
    rounds: dict[str, Round]
    items: dict[str, str]  # an answered item of a round, by round key
    image: Image
    reference: ReferenceImage
    note: DistinctionNote
    freeze: GuideFreeze
    training_request: TrainingRequest
    clients: dict[str, Client] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)  # each API token's owner, by key

    def clients_make(self) -> None:
        """A client per persona, logged in once (sessions and tokens are rows of the world)."""
        self.clients[ANONYMOUS] = APIClient()
        for persona, user in self.users.items():
            client = APIClient()
            client.force_login(user)
            self.clients[persona] = client
        self.clients[f"{RESEARCHER}:token"] = api_client_for(self.users[RESEARCHER])
        for persona in (RESEARCHER, STUDY_ADMIN):
            self.tokens[token_get_or_create(user=self.users[persona]).key] = persona

    def client(self, persona: str, path: str) -> Client:
        """How the persona asks: researchers send their token to the API and the file views
        (as their scripts do), everyone else has a browser session."""
        if persona == RESEARCHER and path.startswith(("/api/", "/files/")):
            return self.clients[f"{RESEARCHER}:token"]
        return self.clients[persona]


def world_build() -> World:
    # Ten classes, without the tree: every page and list stays short (the full taxonomy takes
    # seconds to load and makes each list and admin page slower to render).
    Synset.objects.bulk_create(
        Synset(
            wnid=wnid,
            nltk_name=f"class{index}.n.01",
            name=name,
            display_name=name,
            class_index=index,
            group=ClassGroup.ORGANISM,
        )
        for index, wnid, name in imagenet_class_list()[:10]
    )
    tench, goldfish = Synset.objects.get(wnid=TENCH), Synset.objects.get(wnid=GOLDFISH)
    cyprinid = Synset.objects.create(wnid=CYPRINID, nltk_name="cyprinid.n.01", name="cyprinid")
    for child in (tench, goldfish):  # one node of the tree above two classes
        Hypernymy.objects.create(child=child, parent=cyprinid)
        SynsetClosure.objects.create(descendant=child, ancestor=cyprinid, distance=1)
    users = {
        ANNOTATOR: make_user("matrix-anna", Role.ANNOTATOR),
        OTHER_ANNOTATOR: make_user("matrix-olga", Role.ANNOTATOR),
        STUDY_ADMIN: make_user("matrix-adam", Role.ADMIN),
        RESEARCHER: make_user("matrix-rita", Role.RESEARCHER),
        NO_ROLE: make_user("matrix-otto"),
    }
    annotator, other = users[ANNOTATOR], users[OTHER_ANNOTATOR]
    images = [make_image(seed=n, label=tench) for n in range(1, 7)]  # 4 evaluated, 2 to practise on
    for image in images:
        predict(image, {"resnet-alpha": [GOLDFISH], "vit-beta": [SHARK]})
    reference = make_references(tench, [1])[0]
    guide_entry_save(synset=tench, text=f"Unlike [[{GOLDFISH}]], no gold.", author=annotator)
    note = distinction_note_save(
        title="Tench or goldfish",
        text="Colour tells them apart.",
        synsets=[tench, goldfish],
        author=annotator,
    )
    freeze = guide_release(freeze=guide_freeze(name="before round 1", by=None), by=None)

    evaluation = make_round(images[:2], [annotator], name="Evaluation 1")
    other_evaluation = make_round(images[2:4], [other], name="Evaluation 2")
    training = training_round_create(
        name="Practice", count=2, classes=[TENCH], seed=1, labelers=[annotator]
    )
    review = make_review_round(images[:2], [annotator], name="Review 1")
    rounds = {
        "evaluation": evaluation,
        "other_evaluation": other_evaluation,
        "training": training,
        "review": review,
    }
    api = APIClient()
    api.force_login(annotator)
    items = {}
    for key in ("evaluation", "training"):
        item = next_item(api, rounds[key])["item"]
        response = post_answer(api, rounds[key], item, wnid=GOLDFISH)
        assert response.status_code == 201, response.content
        items[key] = item
    rounds["final_review"] = final_review_create(
        source_round=evaluation, name="Final review 1", reviewers=[annotator], seed=1
    )
    # What the worker would make of the answers, and the rows review and training add, so each
    # admin page of a model has an object to show.
    for answer in Answer.objects.all():
        answer_stat_compute(answer_id=answer.pk)
    for log in InteractionLog.objects.all():
        interaction_log_process(log_id=log.pk)
    image_labels_replace(labels={images[5].pk: {tench.pk: "correct"}}, source="matrix")
    review_comment_add(
        round_image=training.items.order_by("position")[0], author=annotator, text="Why?"
    )
    return World(
        users=users,
        rounds=rounds,
        items=items,
        image=images[0],
        reference=reference,
        note=note,
        freeze=freeze,
        training_request=training_request_create(labeler=annotator, wnids=[TENCH]),
    )
