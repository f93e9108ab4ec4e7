"""The SHA-256 of an upload holds whatever order the storage reads it in."""

import hashlib
import io
import os

import pytest

from assessments.uploads import HashingFile

CONTENT = os.urandom(3 * 1024 * 1024 + 17)
EXPECTED = hashlib.sha256(CONTENT).hexdigest()


def hashing() -> HashingFile:
    return HashingFile(io.BytesIO(CONTENT), "a.pdf")


def test_read_from_start_to_end():
    file = hashing()
    while file.read(64 * 1024):
        pass
    assert (file.sha256, file.bytes_read) == (EXPECTED, len(CONTENT))


def test_read_twice_as_a_client_that_signs_before_sending():
    file = hashing()
    file.read()
    file.seek(0)
    file.read(1000)
    file.seek(0)
    assert file.read() == CONTENT
    assert (file.sha256, file.bytes_read) == (EXPECTED, len(CONTENT))


def test_a_seek_to_the_end_for_the_size_and_a_part_read_again():
    file = hashing()
    assert file.seek(0, os.SEEK_END) == len(CONTENT)
    file.seek(0)
    file.read(8 * 1024)
    file.seek(4 * 1024)  # a retried request
    file.read(1024 * 1024)
    file.read(512)
    assert file.tell() == 4 * 1024 + 1024 * 1024 + 512
    assert (file.sha256, file.bytes_read) == (EXPECTED, len(CONTENT))


@pytest.mark.parametrize("skip_to", [1, 1024 * 1024, len(CONTENT) - 1])
def test_bytes_the_storage_skipped_are_read_for_the_hash(skip_to):
    file = hashing()
    file.seek(skip_to)
    file.read()
    assert (file.sha256, file.bytes_read) == (EXPECTED, len(CONTENT))


def test_readinto_goes_through_the_hash():
    file = hashing()
    buffer = bytearray(len(CONTENT))
    assert file.readinto(buffer) == len(CONTENT)
    assert (file.sha256, file.bytes_read) == (EXPECTED, len(CONTENT))


def test_chunks_as_the_file_system_storage_reads_them():
    file = hashing()
    assert b"".join(file.chunks(100_000)) == CONTENT
    assert (file.sha256, file.bytes_read) == (EXPECTED, len(CONTENT))
