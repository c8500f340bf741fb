"""Load the taxonomy fixture into the database (idempotent; safe to run on every deploy)."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from labeling.taxonomy.fixture import TaxonomyError, taxonomy_fixture_path, taxonomy_read
from labeling.taxonomy.services import taxonomy_load, taxonomy_load_text


class Command(BaseCommand):
    help = "Load the ImageNet class tree (fixtures/taxonomy.json) into the database."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--fixture",
            type=Path,
            default=None,
            help="the fixture to load (default: fixtures/taxonomy.json)",
        )

    def handle(self, *args, fixture: Path | None, **options) -> None:
        fixture = fixture or taxonomy_fixture_path()
        started = time.monotonic()
        try:
            counts = taxonomy_load(document=taxonomy_read(path=fixture))
        except TaxonomyError as error:
            raise CommandError(f"{error}; nothing was written") from None
        self.stdout.write(
            f"loaded {fixture} in {time.monotonic() - started:.1f} s: "
            + taxonomy_load_text(counts=counts)
        )
