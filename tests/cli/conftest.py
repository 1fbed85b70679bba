"""The CLI tests that check the service's records reuse the API test set-up (an API over a built index)."""

from tests.api.conftest import api, built_index, embedder, make_api  # noqa: F401
