"""Account-wide settings read back: the IAM password policy, EBS default encryption, over-broad IAM grants.

These are singletons per account (or per account and region), so the view names no resource: `aws.account`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from stratatest.inspect import policy as pol
from stratatest.inspect.errors import error_code
from stratatest.inspect.iam import is_wildcard_admin
from stratatest.inspect.view import View

#: AWS managed policies that give a role (near) full control of the account.
ADMIN_POLICY_NAMES = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")


@dataclass(frozen=True)
class PasswordPolicy:
    """The account's IAM password policy, as GetAccountPasswordPolicy reports it."""

    minimum_length: int
    require_lowercase: bool
    require_uppercase: bool
    require_numbers: bool
    require_symbols: bool
    reuse_prevention: int | None
    max_age_days: int | None
    allow_users_to_change: bool
    hard_expiry: bool

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> PasswordPolicy:
        return cls(
            minimum_length=int(raw.get("MinimumPasswordLength", 0)),
            require_lowercase=bool(raw.get("RequireLowercaseCharacters")),
            require_uppercase=bool(raw.get("RequireUppercaseCharacters")),
            require_numbers=bool(raw.get("RequireNumbers")),
            require_symbols=bool(raw.get("RequireSymbols")),
            reuse_prevention=raw.get("PasswordReusePrevention"),
            max_age_days=raw.get("MaxPasswordAge") if raw.get("ExpirePasswords") else None,
            allow_users_to_change=bool(raw.get("AllowUsersToChangePassword")),
            hard_expiry=bool(raw.get("HardExpiry")),
        )

    @property
    def requires_every_character_class(self) -> bool:
        return self.require_lowercase and self.require_uppercase and self.require_numbers and self.require_symbols

    def meets(self, *, min_length: int = 14, reuse_prevention: int = 24, max_age_days: int = 90) -> bool:
        """Long enough, every character class, enough remembered passwords, and passwords expire in time."""
        return (
            self.minimum_length >= min_length
            and self.requires_every_character_class
            and (self.reuse_prevention or 0) >= reuse_prevention
            and self.max_age_days is not None
            and self.max_age_days <= max_age_days
        )


class Account(View):
    """`aws.account`: settings of the account the target's credentials belong to, in the target's region."""

    kind = "account"
    service = "iam"

    def _ec2(self) -> Any:
        return self._clients.client("ec2")

    @property
    def password_policy(self) -> PasswordPolicy | None:
        """None when the account has no password policy (AWS then applies its weak default)."""
        try:
            raw = self._client.get_account_password_policy()["PasswordPolicy"]
        except ClientError as err:
            if error_code(err) == "NoSuchEntity":
                return None
            raise
        return PasswordPolicy.from_api(raw)

    @property
    def ebs_encryption_by_default(self) -> bool:
        """New EBS volumes in the region are encrypted whatever the request says."""
        return bool(self._ec2().get_ebs_encryption_by_default()["EbsEncryptionByDefault"])

    @property
    def ebs_default_kms_key_id(self) -> str:
        """The key new volumes are encrypted with when none is named (an ARN; `alias/aws/ebs` when never set)."""
        return str(self._ec2().get_ebs_default_kms_key_id()["KmsKeyId"])

    @property
    def customer_policies_with_wildcard_admin(self) -> list[str]:
        """ARNs of customer-managed policies whose default version allows `*` on `*`, sorted."""
        found = []
        for found_policy in self._paginate("list_policies", "Policies", Scope="Local"):
            arn, version = found_policy["Arn"], found_policy["DefaultVersionId"]
            document = self._client.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
            if any(is_wildcard_admin(s) for s in pol.statements(document)):
                found.append(arn)
        return sorted(found)

    @property
    def roles_with_admin_attached(self) -> dict[str, list[str]]:
        """Roles with an AWS managed full-access policy attached (ADMIN_POLICY_NAMES): role name → policy names."""
        found: dict[str, list[str]] = {}
        for name in ADMIN_POLICY_NAMES:
            arn = f"arn:{self._partition()}:iam::aws:policy/{name}"
            attached = self._paginate("list_entities_for_policy", "PolicyRoles", PolicyArn=arn, EntityFilter="Role")
            try:
                roles = [r["RoleName"] for r in attached]
            except ClientError as err:
                if error_code(err) == "NoSuchEntity":  # a target that does not carry AWS managed policies
                    continue
                raise
            for role in roles:
                found.setdefault(role, []).append(name)
        return dict(sorted(found.items()))

    def _partition(self) -> str:
        return str(getattr(self._client.meta, "partition", "aws"))
