"""Settings for the test suite: the app's settings with test-only defaults."""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production")

from .settings import *  # noqa: E402, F403
from .settings import INSTALLED_APPS, STORAGES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SECURE_COOKIES = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False

# Evidence written by tests goes to a throwaway folder.
PRIVATE_MEDIA_ROOT = tempfile.mkdtemp(prefix="kieumau-test-media-")
atexit.register(shutil.rmtree, PRIVATE_MEDIA_ROOT, ignore_errors=True)
STORAGES = {
    **STORAGES,
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT},
    },
}
# The test client speaks plain HTTP; tests of the HTTPS redirect turn it on.
SECURE_SSL_REDIRECT = False
DEMO_DATA_ALLOWED = True
if "devdata" not in INSTALLED_APPS:
    INSTALLED_APPS = [*INSTALLED_APPS, "devdata"]
# Tasks run in the test itself, once the transaction commits; tests of the
# worker use the database backend on their own.
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
