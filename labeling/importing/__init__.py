"""The framework every import builds on: images, references, predictions, annotations, and more.

The rules, the same for every import:

* Two phases. First every input is checked and every problem is collected with its file and line
  (`ImportReport.reject`). Then, unless the batch is rejected, the good inputs are written in one
  transaction.
* By default one problem rejects the whole batch and nothing is written; with `skip_bad` the good
  inputs are written and the bad ones listed. `dry_run` checks everything and writes nothing.
* Inputs already stored are skipped (`ImportReport.skip_duplicate`), so a re-run changes nothing.

The modules:

* `report` — `ImportReport` (counts, problems, timings, the one-line summary), `Problem`,
  `BatchRejected` (raise it inside the transaction to roll back), `unknown_wnid` (the message for
  a wnid that is no class).
* `batch` — `write_batch` (the writing phase: one transaction, skipped when rejected or a dry
  run, deleting the files it stored if it rolls back), `StoredFiles`, `chunked`, and the
  `Progress` callback with its no-op `no_progress`.
* `parallel` — process pools for CPU-bound checking (`make_pool`, `pool_map`, `worker_count`).
* `postgres` — `postgres_bulk_load`: load a large batch into a table stripped of its indexes and
  constraints, then make them again.
* `commands` — `ImportCommand`, the base of the import commands (--dry-run, --skip-bad,
  --no-progress, the progress bar, the summary and the exit status), and `BATCH_HELP`.

Writing a new import, e.g. `labeling/<app>/importing.py` with a command `import_<things>`:

1. A function `<things>_import(*, path, report, progress=no_progress) -> ImportReport` that reads
   the input and checks every row, reporting problems on `report` (classes are looked up once
   with `labeling.taxonomy.selectors.classes_by_wnid`; an unknown one is `unknown_wnid(wnid)`).
   A file that cannot be read at all raises an import-specific error instead (e.g.
   `PredictionFileError`), which the command turns into a one-line message.
2. It sets `report.imported` to what is (or would be) written, then writes through the app's
   services inside `write_batch(report, write)`, or inside its own `transaction.atomic()` that
   raises `BatchRejected` when `report.batch_rejected or report.dry_run` (for imports that can
   only find some problems while writing, as the predictions import does).
3. A command subclassing `ImportCommand`: its own arguments, then `super().add_arguments(parser)`;
   `handle` makes `self.new_report("things", options)`, calls the import with
   `progress=self.progress`, and ends with `self.finish(report)`. Its help ends with BATCH_HELP.
4. Tests: a rejected batch writes nothing, `--skip-bad` writes the good part, a re-run changes
   nothing, each problem is named with its file and line (tests/images/test_importing.py shows
   the pattern).
"""
