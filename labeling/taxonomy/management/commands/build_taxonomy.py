"""Rewrite fixtures/taxonomy.json from WordNet 3.0 (needs WordNet; the load does not)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from labeling.taxonomy.fixture import (
    TaxonomyError,
    taxonomy_build,
    taxonomy_classes_path,
    taxonomy_fixture_path,
    taxonomy_summary,
    taxonomy_write,
)
from labeling.taxonomy.wordnet import WordNetUnavailable


class Command(BaseCommand):
    help = "Build the ImageNet class tree from WordNet 3.0 and write it as the taxonomy fixture."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="where to write the fixture (default: fixtures/taxonomy.json)",
        )
        parser.add_argument(
            "--classes",
            type=Path,
            default=None,
            help="the class list, index<TAB>wnid<TAB>name (default: fixtures/imagenet_classes.tsv)",
        )

    def handle(self, *args, output: Path | None, classes: Path | None, **options) -> None:
        output = output or taxonomy_fixture_path()
        try:
            document = taxonomy_build(classes_tsv=classes or taxonomy_classes_path())
            changed = taxonomy_write(document=document, path=output)
        except (WordNetUnavailable, TaxonomyError) as error:
            raise CommandError(str(error)) from None
        except OSError as error:
            raise CommandError(f"cannot write {output}: {error.strerror}") from None
        summary = taxonomy_summary(document=document)
        self.stdout.write(
            f"{'wrote' if changed else 'unchanged'} {output}: {summary['classes']} classes, "
            f"{summary['ancestors']} ancestors, {summary['edges']} edges, "
            f"{summary['multi_parent']} nodes with several parents"
        )
