"""The deploy check of an object store's settings."""

from core.storage import s3_storage
from ops.checks import evidence_store_is_private


def ids(settings, **options) -> list[str]:
    storage = s3_storage(bucket="kieumau", **options)
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    return [message.id for message in evidence_store_is_private()]


def test_a_private_store_over_tls_passes(settings):
    assert ids(settings, endpoint_url="https://minio.internal:9000") == []
    assert ids(settings, endpoint_url="https://minio.internal:9000", acl="") == []


def test_a_public_acl_or_plain_http_is_pointed_out(settings):
    assert ids(settings, endpoint_url="https://s3", acl="public-read") == [
        "kieumau.E002"
    ]
    assert ids(settings, endpoint_url="http://minio.internal:9000") == ["kieumau.W002"]


def test_the_file_system_is_not_its_business(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    assert evidence_store_is_private() == []
