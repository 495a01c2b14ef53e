"""The base every resource view shares: the facade it reads through, the resource it names, a lazy client,
and the one way a view tells a missing resource from an existing one.

Views are cheap to make (`aws.s3_bucket(name)` calls nothing); the service's client is created on the first
property read and every read asks the target again, so a test sees the resource as it is now.

A view implements `_fetch()`, the one call that describes its resource. `exists` is False when that call
answers nothing or fails with one of `missing_codes`; every other property reads `_describe()`, which raises
the view's `not_found` error for a missing resource, so a typo never reads as a harmless "no".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from botocore.exceptions import ClientError

from stratatest.inspect.errors import error_code

if TYPE_CHECKING:
    from stratatest.inspect.aws import ClientSource


def tag_map(tags: Iterable[dict[str, str]], key: str = "Key", value: str = "Value") -> dict[str, str]:
    """AWS's list of `{"Key": ..., "Value": ...}` tags as a dict (KMS names the fields `TagKey`/`TagValue`)."""
    return {t[key]: t[value] for t in tags}


class View:
    """`kind` is the facade method that makes the view (shown in reprs), `service` the boto3 client it uses."""

    kind: ClassVar[str]
    service: ClassVar[str]
    #: Error codes with which the target answers `_fetch()` when the resource is not there.
    missing_codes: ClassVar[frozenset[str]] = frozenset()
    #: Raised by `_describe()` for a missing resource. None lets the target's own not-found error through
    #: instead, which is what the views older than this attribute raise and their callers catch.
    not_found: ClassVar[type[LookupError] | None] = None

    def __init__(self, clients: ClientSource, ref: str) -> None:
        self._clients = clients
        self.ref = ref

    def __repr__(self) -> str:
        return f"<{self.kind} {self.ref}>"

    @cached_property
    def _client(self) -> Any:
        return self._clients.client(self.service)

    def _fetch(self) -> dict[str, Any] | None:
        """The one read that describes the resource; None, or an error in `missing_codes`, when it is not there."""
        raise NotImplementedError(f"{type(self).__name__} does not say how to read its resource")

    def _is_missing(self, err: ClientError) -> bool:
        """`err` says the resource is not there (a service whose answer is not a plain error code overrides)."""
        return error_code(err) in self.missing_codes

    def _find(self) -> dict[str, Any] | None:
        """The resource's description, or None when it is not there."""
        try:
            return self._fetch()
        except ClientError as err:
            if self._is_missing(err):
                return None
            raise

    def _describe(self) -> dict[str, Any]:
        """The description every property but `exists` reads; a missing resource raises `not_found`."""
        found = self._find() if self.not_found else self._fetch()
        if found is None:
            raise (self.not_found or LookupError)(f"{self!r} does not exist")
        return found

    @property
    def exists(self) -> bool:
        return self._find() is not None

    def _paginate(self, operation: str, key: str, **params: Any) -> Iterator[Any]:
        """Every item listed under `key` on every page `operation` answers for `params`."""
        pages = self._client.get_paginator(operation).paginate(**params)
        return (item for page in pages for item in page.get(key, []))
