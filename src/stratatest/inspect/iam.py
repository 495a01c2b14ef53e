"""Read-only view of an IAM role and its policies, one boto3 call per property read.

Policy documents come back as dicts (botocore decodes IAM's URL-encoded JSON) and are normalised with
`stratatest.inspect.policy`, so `"Action": "*"` and `"Action": ["*"]` read the same.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from stratatest.inspect import policy as pol
from stratatest.inspect.errors import error_code

if TYPE_CHECKING:
    from stratatest.inspect.aws import ClientSource

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


class IAMRole:
    """`aws.iam_role(name)`: yes/no properties a test asserts on."""

    def __init__(self, clients: ClientSource, name: str) -> None:
        self._clients = clients
        self.name = name

    def __repr__(self) -> str:
        return f"<iam_role name={self.name}>"

    @cached_property
    def _iam(self) -> Any:
        return self._clients.client("iam")

    def _describe(self) -> dict[str, Any]:
        return self._iam.get_role(RoleName=self.name)["Role"]

    @property
    def exists(self) -> bool:
        try:
            self._describe()
        except ClientError as err:
            if error_code(err) == "NoSuchEntity":
                return False
            raise
        return True

    @property
    def arn(self) -> str:
        return self._describe()["Arn"]

    @property
    def assume_role_policy(self) -> dict[str, Any]:
        return self._describe()["AssumeRolePolicyDocument"]

    @property
    def trusted_services(self) -> list[str]:
        """Service principals the trust policy allows to assume the role, sorted."""
        found = {
            service
            for s in pol.statements(self.assume_role_policy)
            if s.get("Effect") == "Allow"
            for service in s.get("Principal", {}).get("Service", [])
        }
        return sorted(found)

    @property
    def inline_policies(self) -> dict[str, dict[str, Any]]:
        """Inline policy documents by policy name."""
        pages = self._iam.get_paginator("list_role_policies").paginate(RoleName=self.name)
        names = [n for page in pages for n in page.get("PolicyNames", [])]
        return {n: self._iam.get_role_policy(RoleName=self.name, PolicyName=n)["PolicyDocument"] for n in sorted(names)}

    @property
    def attached_policy_arns(self) -> list[str]:
        pages = self._iam.get_paginator("list_attached_role_policies").paginate(RoleName=self.name)
        return sorted(p["PolicyArn"] for page in pages for p in page.get("AttachedPolicies", []))

    def _attached_documents(self) -> dict[str, dict[str, Any]]:
        documents = {}
        for arn in self.attached_policy_arns:
            try:
                version = self._iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            except ClientError as err:
                if error_code(err) == "NoSuchEntity":  # an AWS managed policy the target does not carry
                    continue
                raise
            documents[arn] = self._iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
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
        pages = self._iam.get_paginator("list_role_tags").paginate(RoleName=self.name)
        return {t["Key"]: t["Value"] for page in pages for t in page.get("Tags", [])}
