"""Read resources back from a target and assert on them: `assert AWS(target).s3_bucket(n).is_encrypted`."""

from stratatest.inspect.aws import AWS
from stratatest.inspect.eventually import eventually

__all__ = ["AWS", "eventually"]
