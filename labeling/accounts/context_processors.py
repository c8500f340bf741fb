from django.http import HttpRequest

from labeling.accounts.roles import Role, user_roles


def roles(request: HttpRequest) -> dict:
    current = user_roles(request.user)
    return {
        "is_annotator": Role.ANNOTATOR in current,
        "is_study_admin": Role.ADMIN in current,
        "is_researcher": Role.RESEARCHER in current,
    }
