"""Find, and with --delete remove, stored files that no row refers to."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from labeling.images.selectors import STORED_FOLDERS, stored_files_unreferenced
from labeling.images.services import stored_files_delete


class Command(BaseCommand):
    help = (
        "List the files in storage (" + ", ".join(f"{f}/" for f in STORED_FOLDERS) + ") that no "
        "image, thumbnail, reference image or annotator copy refers to: left by a crash in the "
        "middle of an import or by rows deleted before files went with them. Nothing is deleted "
        "unless --delete. Files younger than --min-age-minutes are left alone, since an import "
        "stores its files before it commits their rows."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--delete", action="store_true", help="delete the files listed")
        parser.add_argument(
            "--min-age-minutes",
            type=int,
            default=60,
            help="only files last written at least this long ago (default 60)",
        )

    def handle(self, *args, delete: bool, min_age_minutes: int, **options) -> None:
        if min_age_minutes < 0:
            raise CommandError("--min-age-minutes cannot be negative")
        names = stored_files_unreferenced(older_than=timedelta(minutes=min_age_minutes))
        for name in names:
            self.stdout.write(name)
        if not delete:
            self.stdout.write(
                f"{len(names):,} file(s) no row refers to; dry run: nothing was deleted "
                f"(--delete deletes them)"
            )
            return
        deleted = stored_files_delete(names=names)
        self.stdout.write(f"{deleted:,} of {len(names):,} file(s) no row refers to deleted")
        if deleted < len(names):
            raise CommandError(f"{len(names) - deleted:,} file(s) could not be deleted (see log)")
