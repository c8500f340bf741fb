"""Write the whole labeling guide to one file, JSON or Markdown."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from labeling.guide.documents import FORMATS, format_for_filename
from labeling.guide.services import guide_export


class Command(BaseCommand):
    help = "Export the labeling guide (entries and distinction notes) to FILE ('-' for stdout)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="where to write; .json or .md decides the format")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            default=None,
            help="json or markdown (default: from the file's extension)",
        )

    def handle(self, *args, file: str, format: str | None, **options) -> None:
        fmt = format or format_for_filename(file)
        if fmt is None:
            raise CommandError(
                f"cannot tell the format of {file!r} from its extension: "
                "name it .json or .md, or pass --format json|markdown"
            )
        content = guide_export(fmt=fmt)
        if file == "-":
            self.stdout.write(content, ending="")
            return
        try:
            Path(file).write_text(content, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"cannot write {file}: {error.strerror}") from None
        self.stdout.write(f"wrote the guide to {file} ({fmt}, {len(content.encode())} bytes)")
