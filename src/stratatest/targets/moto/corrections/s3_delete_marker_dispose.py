"""Correction: emptying a bucket whose versioning was suspended no longer crashes on delete markers.

Gap (moto 5.2.5): deleting a key from a bucket that is not (or no longer) versioned pops every version of
the key and calls `dispose()` on each, but `FakeDeleteMarker` has no `dispose`, so DeleteObject(s) answers
500 AttributeError. Terraform hits it on destroy: the provider suspends versioning first, then
`force_destroy` empties the bucket, and retries the 500 for many minutes.

Fix: a delete marker holds no data, so disposing of it is a no-op.
"""

from __future__ import annotations

from moto.s3.models import FakeDeleteMarker


def _dispose(self: FakeDeleteMarker, garbage: bool = False) -> None:
    """Nothing to release: a delete marker has no body buffer."""


def apply() -> None:
    if not hasattr(FakeDeleteMarker, "dispose"):
        FakeDeleteMarker.dispose = _dispose  # type: ignore[attr-defined]
