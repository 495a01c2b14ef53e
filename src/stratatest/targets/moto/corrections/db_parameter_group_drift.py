"""Correction: DB parameters set by ModifyDBParameterGroup come back as user parameters, as on AWS.

Gap (moto 5.2.5): ModifyDBParameterGroup stores each parameter exactly as sent, so DescribeDBParameters
answers it without `Source`, and ignores the `Source` filter. The aws provider keeps only parameters with a
`Source` in state, so `aws_db_parameter_group` re-adds its parameters on every plan.

Fix: a parameter set through the API is marked `Source: user` and `IsModifiable: true` (AWS refuses to set
parameters that are not modifiable), with `ApplyType: dynamic` when it was applied `immediate` (AWS only
allows that for dynamic parameters; for `pending-reboot` the apply type cannot be known without AWS's
parameter catalogue, so it is left out). DescribeDBParameters honours `Source`: moto holds no engine
defaults, so `system` and `engine-default` answer no parameters.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from moto.core.responses import ActionResult
from moto.rds.models import DBParameterGroup
from moto.rds.responses import RDSResponse

USER = "user"


def _mark_user(parameters: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    marked = []
    for parameter in parameters:
        extra: dict[str, Any] = {"Source": USER, "IsModifiable": True}
        if str(parameter.get("ApplyMethod", "")).lower() == "immediate":
            extra["ApplyType"] = "dynamic"
        marked.append({**parameter, **extra})
    return marked


def apply() -> None:
    """Wrap DBParameterGroup.update_parameters and RDSResponse.describe_db_parameters (idempotent)."""
    original_update = DBParameterGroup.update_parameters
    if getattr(original_update, "__stratatest__", False):
        return
    original_describe = RDSResponse.describe_db_parameters

    def update_parameters(self: DBParameterGroup, new_parameters: Iterable[dict[str, Any]]) -> None:
        original_update(self, _mark_user(new_parameters))

    def describe_db_parameters(self: RDSResponse) -> ActionResult:
        result = original_describe(self)
        source = self.params.get("Source")
        if source:
            parameters = result.result["Parameters"]  # type: ignore[index]
            result.result["Parameters"] = [p for p in parameters if p.get("Source") == source]  # type: ignore[index]
        return result

    update_parameters.__stratatest__ = True  # type: ignore[attr-defined]
    DBParameterGroup.update_parameters = update_parameters  # type: ignore[method-assign]
    RDSResponse.describe_db_parameters = describe_db_parameters  # type: ignore[method-assign]
