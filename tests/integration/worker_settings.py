"""Settings of an integration-test worker that is killed while it sends: the project's, with a slow mail backend."""

from membercenter.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.integration.slowmail.EmailBackend"
