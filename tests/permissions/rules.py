"""Who may do what: the expected answer of every URL pattern to every persona, per method.

A new URL pattern, or a new method on a view, fails tests/permissions/test_matrix.py until it
has a row here: decide who may use it, then write it down.

A row lists the expected answers of the six personas in this order:

    anonymous  annotator  other_annotator  study_admin  researcher  no_role

(`annotator` is assigned to the round in the URL, `other_annotator` to another round only; see
world.py). Each answer is one of:

    200, 400, 403, 404, …  that status code (a bare 302 is a redirect anywhere but a login page)
    L                      302 to the login page (/accounts/login/?next=…)
    AL                     302 to the admin's login page (/admin/login/?next=…)
    ok                     let through: anything but 401, 403, a login redirect or a 5xx (for
                           unsafe methods, which the matrix sends with an empty body)

Rows are keyed by method; "get head" gives both the same row. Nobody gets a 5xx, whatever the
row says.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The rounds of world.py. A rule of a pattern with a round_id names the rounds it holds for; a
#: pattern may have several rules, one per group of rounds.
EVALUATION, TRAINING, REVIEW, FINAL_REVIEW = "evaluation", "training", "review", "final_review"
EVERY_KIND = (EVALUATION, TRAINING, REVIEW, FINAL_REVIEW)


@dataclass(frozen=True)
class Rule:
    rows: dict[str, str]
    #: For a pattern with a round_id: the rounds of the world to ask it for, each expected to
    #: answer as the rows say.
    rounds: tuple[str, ...] = (EVALUATION,)
    why: str = ""

    def by_method(self) -> dict[str, str]:
        return {method: row for key, row in self.rows.items() for method in key.split()}


def rule(rounds: tuple[str, ...] = (EVALUATION,), why: str = "", **rows: str) -> Rule:
    """rule(get_head="…", post="…"): keyword names join methods with _ ("get_head")."""
    return Rule({key.replace("_", " "): row for key, row in rows.items()}, rounds, why)


# Common rows.
ANY_ROLE_API = "401 200 200 200 200 403"  # the three roles read, a user with no role does not
ANY_ROLE_PAGE = "L 200 200 200 200 403"
EDITORS_API = "401 ok ok ok 403 403"  # annotators and admins edit the guide
EDITORS_PAGE = "L ok ok ok 403 403"
ADMIN_API = "401 403 403 ok 403 403"
READERS_API = "401 403 403 200 200 403"  # admins and researchers: results and exports
READERS_PAGE = "L 403 403 200 200 403"
LABELER_API = "401 200 404 404 404 404"  # the round's own labeler; nobody else sees it exists
LABELER_PAGE = "L 200 404 404 404 404"
SIGNED_IN_API = "401 200 200 200 200 200"
SIGNED_IN_PAGE = "L 200 200 200 200 200"

RULES: dict[str, Rule | list[Rule]] = {
    # --- Accounts and health ------------------------------------------------------------------
    "": rule(get_head="L 200 200 200 200 200", why="the home page: anyone signed in"),
    "accounts/login/": rule(
        get_head_post_put="200 302 302 302 302 302", why="signed-in users go home"
    ),
    "accounts/logout/": rule(post="302 302 302 302 302 302"),
    "accounts/password/": rule(get_head=SIGNED_IN_PAGE, post_put="L ok ok ok ok ok"),
    "accounts/token/": rule(post="L 403 403 ok ok 403", why="admins and researchers use the API"),
    "healthz": rule(get="200 200 200 200 200 200", why="for the load balancer: no login"),
    # --- API: foundation ----------------------------------------------------------------------
    "api/": rule(get_head=SIGNED_IN_API),
    "api/auth/token/": rule(
        post="400 400 400 400 400 400",  # anyone may ask with a password (none sent here)
        delete="401 401 401 401 204 401",  # revokes the token sent; sessions have none
    ),
    "api/schema/": rule(get_head=SIGNED_IN_API, why="the probe found it open to anonymous"),
    "api/docs/": rule(get_head=SIGNED_IN_PAGE),
    # --- API: classes and taxonomy ------------------------------------------------------------
    "api/classes/": rule(get_head=ANY_ROLE_API),
    "api/classes/search/": rule(get_head="401 400 400 400 400 403", why="q is required"),
    "api/classes/<str:wnid>/": rule(get_head=ANY_ROLE_API),
    "api/taxonomy/": rule(get_head=ANY_ROLE_API),
    "api/taxonomy/<str:wnid>/children/": rule(get_head=ANY_ROLE_API),
    "api/taxonomy/<str:wnid>/paths/": rule(get_head=ANY_ROLE_API),
    "api/taxonomy/<str:wnid>/classes/": rule(get_head=ANY_ROLE_API),
    "api/references/": rule(get_head="401 400 400 400 400 403", why="wnids is required"),
    "api/classes/<str:wnid>/references/": rule(get_head=ANY_ROLE_API),
    # --- API: guide ---------------------------------------------------------------------------
    "api/guide/entries/": rule(get_head=ANY_ROLE_API),
    "api/guide/entries/<str:wnid>/": rule(get_head=ANY_ROLE_API, put=EDITORS_API),
    "api/guide/entries/<str:wnid>/revisions/": rule(get_head=ANY_ROLE_API),
    "api/guide/notes/": rule(get_head=ANY_ROLE_API, post=EDITORS_API),
    "api/guide/notes/<int:pk>/": rule(get_head=ANY_ROLE_API, put_patch=EDITORS_API),
    "api/guide/notes/<int:pk>/revisions/": rule(get_head=ANY_ROLE_API),
    "api/guide/export/": rule(get_head=ANY_ROLE_API),
    "api/guide/import/": rule(post=ADMIN_API),
    "api/guide/freeze/": rule(get_head=ANY_ROLE_API, post=ADMIN_API),
    "api/guide/freeze/<int:pk>/": rule(get_head=ANY_ROLE_API),
    "api/guide/freeze/<int:pk>/release/": rule(post=ADMIN_API),
    # --- API: labeling ------------------------------------------------------------------------
    "api/rounds/": rule(get_head=ANY_ROLE_API, why="each sees the rounds they label"),
    "api/rounds/<int:round_id>/next/": rule(get_head=LABELER_API, rounds=EVERY_KIND),
    "api/rounds/<int:round_id>/previous/": [
        rule(get_head=LABELER_API),
        rule(
            get_head="401 404 404 404 404 404",
            rounds=(TRAINING, REVIEW, FINAL_REVIEW),
            why="no going back where the feedback was shown, nor in review rounds",
        ),
    ],
    "api/rounds/<int:round_id>/progress/": rule(get_head=LABELER_API, rounds=EVERY_KIND),
    "api/rounds/<int:round_id>/answers/": rule(
        get_head=READERS_API,
        post="401 ok 404 404 404 404",
        rounds=(EVALUATION, TRAINING),
        why="labelers answer, admins and researchers read the answers",
    ),
    "api/rounds/<int:round_id>/judgments/": rule(
        post="401 ok 404 404 404 404", rounds=(REVIEW, FINAL_REVIEW)
    ),
    # --- API: research ------------------------------------------------------------------------
    "api/research/images/": rule(get_head=READERS_API),
    "api/research/classes/": rule(get_head=READERS_API),
    "api/research/labels/": rule(get_head=READERS_API),
    "api/research/human-predictions/": rule(get_head=READERS_API),
    "api/research/model-predictions/": rule(get_head=READERS_API),
    "api/research/judgments/": rule(get_head=READERS_API),
    "api/research/rounds/": rule(get_head=READERS_API),
    "api/rounds/<int:round_id>/human-predictions/": rule(get_head=READERS_API),
    "api/rounds/<int:round_id>/export/": rule(get_head=READERS_API),
    "api/rounds/<int:round_id>/scores/": rule(get_head=READERS_API),
    # --- Pages: classes and guide -------------------------------------------------------------
    "classes/": rule(get_head=ANY_ROLE_PAGE),
    "classes/compare/": rule(get_head="L 400 400 400 400 403", why="wnids is required"),
    "classes/^node/(?P<wnid>n[0-9]{8})/$": rule(
        get_head="L 302 302 302 302 403", why="a class's node page leads to its class page"
    ),
    "classes/^(?P<wnid>n[0-9]{8})/$": rule(get_head=ANY_ROLE_PAGE),
    "guide/": rule(get_head=ANY_ROLE_PAGE),
    "guide/entries/<str:wnid>/": rule(get_head=ANY_ROLE_PAGE),
    "guide/entries/<str:wnid>/edit/": rule(get="L 200 200 200 403 403", post=EDITORS_PAGE),
    "guide/entries/<str:wnid>/history/": rule(get_head=ANY_ROLE_PAGE),
    "guide/notes/new/": rule(get="L 200 200 200 403 403", post=EDITORS_PAGE),
    "guide/notes/<int:pk>/": rule(get_head=ANY_ROLE_PAGE),
    "guide/notes/<int:pk>/edit/": rule(get="L 200 200 200 403 403", post=EDITORS_PAGE),
    "guide/notes/<int:pk>/history/": rule(get_head=ANY_ROLE_PAGE),
    "guide/preview/": rule(post=EDITORS_PAGE),
    "guide/freeze/": rule(get="L 403 403 200 403 403", post="L 403 403 ok 403 403"),
    # --- Files: 403, never a login page, where an image is expected ---------------------------
    "files/references/<int:reference_id>/": rule(get_head="403 200 200 200 200 403"),
    "files/references/<int:reference_id>/thumb/": rule(get_head="403 200 200 200 200 403"),
    "files/images/<slug:public_id>/": rule(
        get_head="403 200 403 200 200 403", why="an annotator sees the images of their rounds"
    ),
    "files/images/<slug:public_id>/thumb/": rule(get_head="403 200 403 200 200 403"),
    # --- Pages: labeling and training ---------------------------------------------------------
    "label/<int:round_id>/": rule(get_head=LABELER_PAGE, rounds=EVERY_KIND),
    "label/classes/<str:wnid>/": rule(get_head=ANY_ROLE_PAGE),
    "training/rounds/<int:round_id>/feedback/<str:item>/": rule(
        get_head=LABELER_PAGE, rounds=(TRAINING,), why="feedback on one's own answer only"
    ),
    "training/requests/": rule(post="L ok ok 403 403 403"),
    "training/requests/<int:request_id>/round/": rule(post="L 403 403 ok 403 403"),
    "training/me/": rule(get_head="L 200 200 403 403 403"),
    "training/me/curve.svg": rule(get_head="L 200 200 403 403 403"),
    "training/overview/": rule(get_head=READERS_PAGE),
    # The group review: admins and researchers; a labeler of the round only once they have
    # answered all of it (the world's annotator has not), so nobody sees answers before theirs.
    "training/rounds/<int:round_id>/review/": rule(
        get_head="L 404 404 200 200 404", rounds=(TRAINING,)
    ),
    "training/rounds/<int:round_id>/review/<str:item>/comments/": rule(
        post="L 404 404 ok ok 404", rounds=(TRAINING,)
    ),
    # --- Pages: results -----------------------------------------------------------------------
    "results/": rule(get_head=READERS_PAGE),
    "results/<int:round_id>/": rule(get_head=READERS_PAGE),
    (
        "results/^(?P<round_id>[0-9]+)/(?P<name>figure1|table1|table2|scores)"
        "\\.(?P<format>svg|png|csv)$"
    ): rule(get_head=READERS_PAGE),
    # --- The admin site's own pages -----------------------------------------------------------
    "admin/": rule(get_post="AL AL AL 200 AL AL"),
    "admin/login/": rule(get="200 200 200 302 200 200", post="200 200 200 200 200 200"),
    "admin/logout/": rule(get="302 302 302 405 302 302", post="302 302 302 302 302 302"),
    "admin/password_change/": rule(get="AL AL AL 200 AL AL", post="AL AL AL ok AL AL"),
    "admin/password_change/done/": rule(get="AL AL AL 200 AL AL", post="AL AL AL 405 AL AL"),
    "admin/autocomplete/": rule(
        get="AL AL AL 403 AL AL", post="AL AL AL 405 AL AL", why="403 without a model named"
    ),
    "admin/jsi18n/": rule(get="AL AL AL 200 AL AL", post="AL AL AL 405 AL AL"),
    "admin/r/<path:content_type_id>/<path:object_id>/": rule(
        get_post="AL AL AL 404 AL AL", why="rounds have no page on the site"
    ),
    (
        "admin/^(?P<app_label>auth|accounts|taxonomy|images|guide|predictions|review|rounds"
        "|audit|training)/$"
    ): rule(get_post="AL AL AL 200 AL AL"),
    "admin/(?P<url>.*)$": rule(get_post="AL AL AL 404 AL AL"),
}

# --- The admin's pages of each model --------------------------------------------------------
# Everyone but the study admin is sent to the admin's login page, on every model URL. What the
# study admin gets, by kind of page: "GET POST" (the POST has an empty body: a list without an
# action, a form with nothing filled in, a delete page without the confirmation).

FULL = {
    "changelist": "200 200",
    "add": "200 ok",
    "history": "200 200",
    "delete": "200 200",
    "change": "200 ok",
    "object": "302 302",  # the bare object URL leads to its change page
}
READ_ONLY = {**FULL, "add": "403 403", "delete": "403 403", "change": "200 403"}
NO_ACCESS = dict.fromkeys(FULL, "403 403") | {"object": "302 302"}


@dataclass(frozen=True)
class AdminRule:
    pages: dict[str, str]
    why: str = ""
    extra: dict[str, str] = field(default_factory=dict)  # extra views, by URL name


ADMIN_MODELS: dict[str, AdminRule] = {
    "auth.group": AdminRule(NO_ACCESS, "roles are groups; only superusers change them"),
    "auth.user": AdminRule(
        {**FULL, "delete": "403 403"},
        "study admins manage users and roles but delete nobody (user_change_check)",
        extra={"auth_user_password_change": "200 ok"},
    ),
    "accounts.apitoken": AdminRule(
        {**READ_ONLY, "delete": "200 200"},
        "tokens are listed masked and may be revoked, never made or edited here",
    ),
    "taxonomy.synset": AdminRule(FULL),
    "taxonomy.hypernymy": AdminRule(FULL),
    "taxonomy.synsetclosure": AdminRule(FULL),
    "images.imagesource": AdminRule(FULL),
    "images.image": AdminRule(FULL),
    "images.referenceimage": AdminRule(FULL),
    "guide.guideentry": AdminRule(FULL),
    "guide.distinctionnote": AdminRule(FULL),
    "guide.guiderevision": AdminRule(READ_ONLY, "revisions are history"),
    "guide.guidefreeze": AdminRule(
        {**READ_ONLY, "change": "200 ok"}, "made on the freeze page; released by an action"
    ),
    "predictions.classifiermodel": AdminRule(FULL),
    "predictions.modelprediction": AdminRule(FULL),
    "review.candidate": AdminRule(READ_ONLY),
    "review.imagelabel": AdminRule(READ_ONLY),
    "review.labelchange": AdminRule(READ_ONLY),
    "review.reviewround": AdminRule(
        {**FULL, "add": "403 403", "change": "200 ok"},
        "made on its two creation pages or by commands, never by the add form",
        extra={
            "review_reviewround_adjudicate": "200 ok",
            "review_reviewround_create_annotation_review": "200 ok",
            "review_reviewround_create_final_review": "200 ok",
        },
    ),
    "rounds.round": AdminRule(FULL),
    "rounds.answer": AdminRule(READ_ONLY, "answers are the labelers' work"),
    "rounds.interactionlog": AdminRule(READ_ONLY),
    "rounds.answertiming": AdminRule(READ_ONLY),
    "audit.auditentry": AdminRule(READ_ONLY, "the audit log is read, never edited"),
    "training.trainingrequest": AdminRule(
        {**READ_ONLY, "change": "200 ok"},
        "asked for by labelers; admins answer them",
        extra={"training_create_round": "200 ok"},
    ),
    "training.answerstat": AdminRule(READ_ONLY),
    "training.reviewcomment": AdminRule(READ_ONLY),
}
