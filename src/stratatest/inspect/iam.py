"""Read-only view of an IAM role and its policies, one boto3 call per property read.

Policy documents come back as dicts (botocore decodes IAM's URL-encoded JSON) and are normalised with
`stratatest.inspect.policy`, so `"Action": "*"` and `"Action": ["*"]` read the same.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from stratatest.inspect import policy as pol
from stratatest.inspect.errors import error_code
from stratatest.inspect.view import View, tag_map

#: The AWS managed policy that grants everything.
ADMINISTRATOR_ACCESS = "AdministratorAccess"


def is_wildcard_admin(statement: dict[str, Any]) -> bool:
    """An Allow statement whose `Action` includes exactly `*` and whose `Resource` includes exactly `*`.

    Deliberately narrow, like CIS AWS 1.15's `*:*` check: a service-wide wildcard such as `logs:*` or a
    `NotAction` statement is not full administrator access, and is left to other checks.
    """
    return (
        statement.get("Effect") == "Allow"
        and "*" in pol.as_list(statement.get("Action"))
        and "*" in pol.as_list(statement.get("Resource"))
    )


class IAMRole(View):
    """`aws.iam_role(name)`: yes/no properties a test asserts on."""

    kind = "iam_role"
    service = "iam"
    missing_codes = frozenset({"NoSuchEntity"})

    @property
    def name(self) -> str:
        return self.ref

    def _fetch(self) -> dict[str, Any]:
        return self._client.get_role(RoleName=self.name)["Role"]

    @property
    def arn(self) -> str:
        return self._describe()["Arn"]

    @property
    def assume_role_policy(self) -> dict[str, Any]:
        return self._describe()["AssumeRolePolicyDocument"]

    def _trusted(self, principal_type: str) -> list[str]:
        allowed = (s for s in pol.statements(self.assume_role_policy) if s.get("Effect") == "Allow")
        return sorted({p for s in allowed for p in s.get("Principal", {}).get(principal_type, [])})

    @property
    def trusted_services(self) -> list[str]:
        """Service principals the trust policy allows to assume the role, sorted."""
        return self._trusted("Service")

    @property
    def trusted_federated(self) -> list[str]:
        """Federated principals (e.g. an EKS cluster's OIDC provider ARN) the trust policy allows, sorted."""
        return self._trusted("Federated")

    @property
    def trust_conditions(self) -> list[dict[str, dict[str, list[str]]]]:
        """The Condition block of each Allow statement of the trust policy, normalised (`{}` for none).

        One entry per statement, in order: an IRSA role shows `{"StringEquals": {"<issuer>:sub": [...]}}`.
        """
        return [s.get("Condition", {}) for s in pol.statements(self.assume_role_policy) if s.get("Effect") == "Allow"]

    @property
    def inline_policies(self) -> dict[str, dict[str, Any]]:
        """Inline policy documents by policy name."""
        names = sorted(self._paginate("list_role_policies", "PolicyNames", RoleName=self.name))
        return {n: self._client.get_role_policy(RoleName=self.name, PolicyName=n)["PolicyDocument"] for n in names}

    @property
    def attached_policy_arns(self) -> list[str]:
        return sorted(
            p["PolicyArn"]
            for p in self._paginate("list_attached_role_policies", "AttachedPolicies", RoleName=self.name)
        )

    def _attached_documents(self) -> dict[str, dict[str, Any]]:
        documents = {}
        for arn in self.attached_policy_arns:
            try:
                version = self._client.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            except ClientError as err:
                if error_code(err) == "NoSuchEntity":  # an AWS managed policy the target does not carry
                    continue
                raise
            found = self._client.get_policy_version(PolicyArn=arn, VersionId=version)
            documents[arn] = found["PolicyVersion"]["Document"]
        return documents

    @property
    def has_admin_access_attached(self) -> bool:
        """The AWS managed AdministratorAccess policy is attached (by name, in any partition)."""
        return any(arn.endswith(f":policy/{ADMINISTRATOR_ACCESS}") for arn in self.attached_policy_arns)

    @property
    def has_wildcard_admin(self) -> bool:
        """Any inline or attached policy allows `*` on `*`, or AdministratorAccess is attached."""
        documents = [*self.inline_policies.values(), *self._attached_documents().values()]
        return self.has_admin_access_attached or any(
            is_wildcard_admin(s) for doc in documents for s in pol.statements(doc)
        )

    @property
    def tags(self) -> dict[str, str]:
        return tag_map(self._paginate("list_role_tags", "Tags", RoleName=self.name))
