from tests.images.conftest import media_root  # noqa: F401  (files in a per-test folder)
