"""The base of the commands that import image files (labeling.importing.commands has the rest)."""

from __future__ import annotations

from labeling.importing.commands import ImportCommand


class ImageImportCommand(ImportCommand):
    """Base of the commands that decode image files: adds --workers."""

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--workers", type=int, default=None, help="decoding processes (default: CPU count)"
        )
        super().add_arguments(parser)
