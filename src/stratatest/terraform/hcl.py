"""Terraform files read as terraform reads them: bc-python-hcl2 (Checkov's parser), once per file content.

Both the variable check and the provider blocks read the same files in every process of a run; the parse is
the cost, so it is cached by the text itself.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import hcl2
from lark.exceptions import LarkError

#: What a malformed file raises (terraform's own error says more: callers may leave it to terraform).
ParseError = (LarkError, ValueError)


@lru_cache(maxsize=512)
def parse(text: str, *, json_syntax: bool = False) -> Any:
    """The document of one file (`*.tf`, or `*.tf.json` with `json_syntax`); do not modify what it returns."""
    return json.loads(text) if json_syntax else hcl2.loads(text)


def first(value: Any) -> Any:
    """hcl2 wraps each attribute's value in a list."""
    return value[0] if isinstance(value, list) and len(value) == 1 else value
