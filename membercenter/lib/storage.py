"""Where uploaded files live: a local folder, or a private S3-compatible bucket.

Either way a file is never linked to directly: every picture is streamed by a view that
checks who asks (lib/files.py). On S3 the objects are private (an unsigned GET is
refused); the only URLs the storage can make are signed and expire within a minute.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.files.storage import FileSystemStorage, Storage

S3_BACKEND = "storages.backends.s3.S3Storage"


def s3_storage(
    *,
    bucket: str,
    endpoint_url: str = "",
    region: str = "",
    access_key: str = "",
    secret_key: str = "",
    prefix: str = "",
    url_expire: int = 60,
    default_acl: str | None = "private",
    addressing_style: str = "",
) -> dict[str, Any]:
    """The STORAGES["default"] entry for a private bucket (django-storages' S3Storage)."""
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": prefix.strip("/"),
        # Sent as the object's ACL on every upload; None sends none, for buckets whose
        # ACLs are disabled ("bucket owner enforced"), where objects are private anyway.
        "default_acl": default_acl or None,
        "querystring_auth": True,
        "querystring_expire": url_expire,
        "signature_version": "s3v4",
        # Django's own rule: a name already taken gets a suffix, never overwrites
        # (S3Storage overwrites by default).
        "file_overwrite": False,
        "object_parameters": {"CacheControl": "private, no-store"},
    }
    if endpoint_url:
        options["endpoint_url"] = endpoint_url
    if region:
        options["region_name"] = region
    if access_key:
        # Unset: boto3's own chain (instance role, AWS_* variables, ~/.aws).
        options["access_key"] = access_key
        options["secret_key"] = secret_key
    if addressing_style:
        options["addressing_style"] = addressing_style
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


def local_storage(*, location: str | os.PathLike[str]) -> dict[str, Any]:
    return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(location)}}


def storage_kind(storage: Storage) -> str:
    """ "local", "s3" or "other": what /health/ reports (never a bucket name or a path)."""
    if isinstance(storage, FileSystemStorage):  # default_storage is a LazyObject: isinstance sees through it
        return "local"
    if hasattr(storage, "bucket_name"):
        return "s3"
    return "other"


def storage_probe(storage: Storage) -> None:
    """Raise if the storage cannot take files: cheap, and writes nothing.

    A local folder must exist (it is created) and be writable; a bucket must exist and
    answer for these credentials (HEAD bucket: one request, the s3:ListBucket right the
    storage needs anyway to find free names).
    """
    if isinstance(storage, FileSystemStorage):
        location = Path(storage.location)
        location.mkdir(parents=True, exist_ok=True)
        if not os.access(location, os.W_OK | os.X_OK):
            raise PermissionError("the media folder is not writable")
        return
    if hasattr(storage, "bucket_name") and hasattr(storage, "connection"):
        storage.connection.meta.client.head_bucket(Bucket=storage.bucket_name)
        return
    storage.exists(".health")
