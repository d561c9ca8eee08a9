"""Content-addressed, immutable files (evidence originals and derivatives, stored minutes): in
the media directory (the embedded default) or, when ``SPOTCHECK_STORAGE_URL`` is
``s3://bucket/prefix``, in an S3-compatible bucket that every API replica shares.

Callers name objects with ``content_key`` and go through ``for_settings(settings)``; what is
stored is the same under either, key for key.
"""

from __future__ import annotations

import functools
from pathlib import Path

from server.core.settings import Settings
from server.core.storage.base import (
    ObjectStorage,
    StorageIntegrityError,
    StoredObjectMissing,
    StoredObjectReader,
    content_key,
)
from server.core.storage.local import LocalDirectoryStorage
from server.core.storage.s3 import S3Storage

__all__ = [
    "LocalDirectoryStorage",
    "ObjectStorage",
    "S3Storage",
    "StorageIntegrityError",
    "StoredObjectMissing",
    "StoredObjectReader",
    "content_key",
    "for_settings",
]


def for_settings(settings: Settings) -> ObjectStorage:
    """The storage these settings name; one per configuration, made on first use and shared
    (an S3 client keeps its connections open between requests)."""
    location = settings.bucket_and_prefix
    if location is None:
        return _local(settings.media_dir)
    secret = settings.storage_secret_access_key
    assert settings.storage_access_key_id and secret  # the settings refuse to load otherwise
    return _bucket(
        *location,
        settings.storage_endpoint_url,
        settings.storage_region,
        settings.storage_access_key_id,
        secret.get_secret_value(),
    )


@functools.cache
def _local(media_dir: Path) -> ObjectStorage:
    return LocalDirectoryStorage(media_dir)


@functools.cache
def _bucket(
    bucket: str,
    prefix: str,
    endpoint_url: str | None,
    region: str,
    access_key_id: str,
    secret_access_key: str,
) -> ObjectStorage:
    return S3Storage(
        bucket=bucket,
        prefix=prefix,
        endpoint_url=endpoint_url,
        region=region,
        access_key_id=access_key_id,
        secret_access_key=secret_access_key,
    )
