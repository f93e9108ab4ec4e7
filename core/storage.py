"""Reading stored files in pieces, whatever the storage holds them.

Evidence lives on the file system or in an S3-compatible object store
(config/settings.py, STORAGES). Opening a file of django-storages' S3Storage
first downloads the whole object (into memory, or a temporary file past
`max_memory_size`); `open_stream` reads the object's body as it arrives
instead, so a download or a hash starts at once and holds one piece at a
time.
"""

from __future__ import annotations

import io
from typing import IO, Any, cast

from django.core.files.storage import Storage
from django.http import FileResponse, Http404


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str = "",
    region: str = "",
    access_key: str = "",
    secret_key: str = "",
    path_style: bool = True,
    prefix: str = "",
    ca_bundle: str = "",
    acl: str = "private",
) -> dict[str, Any]:
    """The STORAGES entry of a private bucket (django-storages' S3Storage).

    Objects are written with the ACL `acl` (none if empty) and never over an
    existing name; their URLs would be signed and short-lived, though the
    app hands none out. Empty arguments fall back to boto3's own defaults
    (its environment variables, its configuration files).
    """
    from boto3.s3.transfer import TransferConfig

    # Uploads go in 8 MB parts, two at a time, with one more read ahead
    # (s3transfer reads ten ahead by default): a large file is never in
    # memory whole, 24 MB of it at most.
    transfer = TransferConfig(
        multipart_threshold=8 * 1024 * 1024,
        multipart_chunksize=8 * 1024 * 1024,
        max_concurrency=2,
    )
    transfer.max_in_memory_upload_chunks = 3
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "addressing_style": "path" if path_style else "virtual",
            "location": prefix.strip("/"),
            "verify": ca_bundle or None,
            "signature_version": "s3v4",
            "default_acl": acl or None,
            "querystring_auth": True,
            "querystring_expire": 60,
            "file_overwrite": False,
            # An opened file (`storage.open`) is downloaded to a temporary
            # file past this size, never held whole in memory.
            "max_memory_size": 2 * 1024 * 1024,
            "transfer_config": transfer,
        },
    }


def is_object_store(storage: Storage) -> bool:
    """Whether `storage` is django-storages' S3Storage (or a subclass)."""
    try:
        from storages.backends.s3 import S3Storage
    except ImportError:  # pragma: no cover: installed with the project
        return False
    return isinstance(storage, S3Storage)  # default_storage passes as its class


def open_stream(storage: Storage, name: str) -> IO[bytes]:
    """The stored file `name`, open for reading from its start, in pieces.

    Its `size` attribute is its length in bytes when the store says so
    (an object store does; on the file system the file itself knows).
    FileNotFoundError if there is no such file. The caller closes it.
    """
    if not is_object_store(storage):
        return storage.open(name, "rb")
    from botocore.exceptions import ClientError
    from storages.utils import clean_name

    s3: Any = storage
    key = s3._normalize_name(clean_name(name))
    try:
        answer = s3.bucket.Object(key).get()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            raise FileNotFoundError(name) from exc
        raise
    return cast(IO[bytes], ObjectStream(answer["Body"], answer.get("ContentLength")))


#: How much of a stored file a download reads at a time.
STREAM_BLOCK = 512 * 1024


def stored_file_response(
    storage: Storage,
    name: str,
    *,
    filename: str,
    as_attachment: bool = True,
    content_type: str | None = None,
) -> FileResponse:
    """The stored file `name` as a private download, read in pieces
    (`open_stream`); Http404 if it is not there. The caller has checked who
    may have it: the answer is kept by no cache, and the browser neither
    guesses its type nor runs what it holds."""
    try:
        handle = open_stream(storage, name)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=as_attachment,
        filename=filename,
        content_type=content_type,
    )
    # Read in large pieces: from an object store each read is a call.
    response.block_size = STREAM_BLOCK
    size = getattr(handle, "size", None)  # from an object store
    if "Content-Length" not in response and size is not None:
        response["Content-Length"] = size
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


class ObjectStream(io.RawIOBase):
    """An object's body as a file that reads it as it arrives."""

    def __init__(self, body: Any, size: int | None):
        self._body = body
        self.size = size

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._body.read(None if size is None or size < 0 else size)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()  # the connection goes back to the pool
        super().close()


def is_store_failure(exc: BaseException) -> bool:
    """Whether `exc` is the object store failing (down, refusing, timing
    out), rather than a fault of the app."""
    return type(exc).__module__.split(".")[0] in ("botocore", "boto3", "s3transfer")
