"""Read a whole labeling guide from one file, JSON or Markdown, into the database."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from labeling.guide.documents import FORMATS, GuideImportError, document_parse, format_for_filename
from labeling.guide.services import GuideFrozen, guide_import


class Command(BaseCommand):
    help = (
        "Import the labeling guide from FILE (as written by export_guide). The whole file is "
        "checked first: if anything is wrong, every problem is listed and nothing is written."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="a .json or .md guide file")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default=None,
            help="json or markdown (default: from the file's extension)",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="make the guide exactly the file: empty entries and delete notes it lacks",
        )
        parser.add_argument(
            "--author", default=None, help="username the new revisions are credited to"
        )

    def handle(
        self, *args, file: str, format: str | None, replace: bool, author: str | None, **options
    ) -> None:
        fmt = format or format_for_filename(file)
        if fmt is None:
            raise CommandError(
                f"cannot tell the format of {file!r} from its extension: "
                "name it .json or .md, or pass --format json|markdown"
            )
        user = None
        if author is not None:
            user = get_user_model().objects.filter(username=author).first()
            if user is None:
                raise CommandError(f"no user named {author!r}")
        try:
            content = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        try:
            summary = guide_import(
                document=document_parse(content=content, fmt=fmt), author=user, replace=replace
            )
        except GuideImportError as error:
            for problem in error.problems:
                self.stderr.write(f"  {problem}")
            count = len(error.problems)
            raise CommandError(
                f"{file}: rejected, {count} problem{'s' if count != 1 else ''} "
                "(listed above); nothing was written"
            ) from None
        except GuideFrozen as error:
            raise CommandError(f"{error} Nothing was written.") from None
        self.stdout.write(f"imported {file}: {summary}")
