"""Correction: a launch template's own tags stay off its version data, as on AWS.

Gap (moto 5.2.5): CreateLaunchTemplate appends the request's TagSpecifications (ResourceType
`launch-template`: the template's own tags) to the first version's `LaunchTemplateData.TagSpecifications`.
The aws provider reads `tag_specifications` from the version data, so an `aws_launch_template` with `tags`
shows a `launch-template` block it never configured on every plan.

Fix: after moto creates the template, the first version's data keeps only the tag specifications that were
sent inside `LaunchTemplateData` (for instances, volumes, ...); the template's own tags stay on the template.
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.ec2.responses.launch_templates import LaunchTemplates


def apply() -> None:
    """Wrap LaunchTemplates.create_launch_template (idempotent)."""
    original = LaunchTemplates.create_launch_template
    if getattr(original, "__stratatest__", False):
        return

    def create_launch_template(self: LaunchTemplates) -> ActionResult:
        requested = self._get_param("LaunchTemplateData") or {}
        had_specs = "TagSpecifications" in requested
        own_specs = len(requested.get("TagSpecifications") or [])
        result = original(self)
        template_id = result.result["LaunchTemplate"]["LaunchTemplateId"]  # type: ignore[index]
        data = self.ec2_backend.get_launch_template(template_id).versions[0].data
        if had_specs:
            data["TagSpecifications"] = data["TagSpecifications"][:own_specs]
        else:
            data.pop("TagSpecifications", None)
        return result

    create_launch_template.__stratatest__ = True  # type: ignore[attr-defined]
    LaunchTemplates.create_launch_template = create_launch_template  # type: ignore[method-assign]
