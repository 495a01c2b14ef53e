"""Sweep: find what stratatest runs left in a sandbox account, by their tags, and delete it in dependency order.

`terraform destroy` from a run's own state (`stratatest cleanup RUN_ID`) is the first way out; the sweep is
the net under it, for runs whose state is lost or whose destroy failed. It only ever selects resources that
carry the `stratatest:run-id` tag, and of those only a given run's or the ones past `stratatest:expires`.

Discovery goes through the Resource Groups Tagging API (`leftovers.tagged`) in each region asked for (the
target's own by default; a run's leak check asks for every region its provider blocks used, aliases
included), plus a few listings through the services themselves for what that API does not return:

* IAM roles: real AWS's GetResources does not support IAM roles (and IAM is global), and moto's does not
  return any IAM resource; roles and OpenID Connect providers are therefore listed through IAM and their
  tags read one by one.
* Elastic IPs and launch templates: real AWS returns them, moto 5.2.5 does not; EC2's own tag-key filter
  finds them in one call each.

moto 5.2.5's Tagging API returns, among what the platform creates: VPCs, subnets, security groups, route
tables, internet gateways, NAT gateways, flow logs (as `ec2:flow-logs/ID`; AWS says `vpc-flow-log/ID`), S3
buckets, KMS keys, log groups, metric alarms, SNS topics, SSM parameters, DynamoDB tables and RDS instances.
It does not return EKS clusters, node groups and add-ons, ECR repositories, CloudTrail trails, GuardDuty
detectors, RDS subnet and parameter groups, nor anything of IAM: against moto a sweep does not find those
(real AWS does); their deleters are exercised with candidates built by hand.

KMS keys pending deletion and NAT gateways already deleted stay visible with their tags for a while; they
are not candidates. A resource type without a deleter is listed and reported, never silently skipped.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from stratatest.errors import ConfigError
from stratatest.targets.leftovers import tagged
from stratatest.targets.tags import EXPIRES_TAG, format_expiry, parse_expiry
from stratatest.terraform.provider import RUN_ID_TAG

__all__ = ["Candidate", "delete", "render_table", "resource_type", "sweep"]

#: Waiting for what later deletions depend on (node groups, clusters, databases, NAT gateways): 30 minutes.
_WAIT = {"Delay": 15, "MaxAttempts": 120}
_NOT_FOUND = re.compile(r"NotFound|^NoSuch")
_TYPED = re.compile(r"^([^/:]+)[/:]")  # `vpc/vpc-1`, `log-group:name`; a bucket's or topic's name alone is untyped
#: The kind of a service's resources whose ARN names no type: `arn:aws:sns:r:a:NAME`.
_UNTYPED = {"s3": "bucket", "sns": "topic", "sqs": "queue"}


@dataclass(frozen=True)
class Candidate:
    """A resource a sweep selected, and why."""

    arn: str
    resource_type: str  # "service:kind" as in the ARN, e.g. "ec2:natgateway", "iam:role"
    run_id: str
    expires: datetime | None
    reason: str  # "run RUN_ID" or "expired YYYY-MM-DDTHH:MM:SSZ"
    #: The region it was listed in, where it is deleted ("" when built by hand: its ARN's, else the target's).
    region: str = ""


def resource_type(arn: str) -> str:
    """`service:kind` from an ARN: `arn:aws:ec2:r:a:vpc/vpc-1` → `ec2:vpc`, `arn:aws:s3:::b` → `s3:bucket`."""
    service, resource = arn.split(":", 5)[2], arn.split(":", 5)[5]
    kind = _TYPED.match(resource)
    return f"{service}:{kind[1] if kind else _UNTYPED.get(service, 'resource')}"


def sweep(
    target: Any,
    *,
    run_id: str | None,
    expired: bool,
    now: datetime | None = None,
    regions: Iterable[str] = (),
) -> list[Candidate]:
    """What a sweep would delete: the resources of run `run_id`, and/or those past their expiry at `now`
    (timezone-aware; default: the current time), in deletion order, in the target's region and `regions`. Runs
    the target's preflight first (and each other region's): the sandbox guard refuses an account or a region
    that is not allowed."""
    if not run_id and not expired:
        raise ConfigError(
            "sweep: nothing selected", hint="name a run id (--run ID), ask for expired resources, or both"
        )
    target.preflight()
    now = now or datetime.now(UTC)
    found: dict[str, tuple[dict[str, str], str]] = {}  # ARN → (tags, the region it was listed in)
    for region in dict.fromkeys([target.region, *regions]):
        with _in_region(target, region) as regional:
            for arn, tags in [*tagged(regional).items(), *_listed_in_region(regional)]:
                found.setdefault(arn, (tags, region))
    for arn, tags in _listed_globally(target):
        found.setdefault(arn, (tags, target.region))
    candidates: list[Candidate] = []
    for arn, (tags, region) in found.items():
        owner = tags.get(RUN_ID_TAG, "")
        expires = parse_expiry(tags.get(EXPIRES_TAG, ""))
        if run_id and owner == run_id:
            reason = f"run {run_id}"
        elif expired and expires is not None and expires <= now:
            reason = f"expired {format_expiry(expires)}"
        else:
            continue
        candidates.append(Candidate(arn, resource_type(arn), owner, expires, reason, region))
    return sorted(candidates, key=_order)


def render_table(candidates: list[Candidate]) -> str:
    """The dry run: one row per candidate, in deletion order, with what deleting it involves."""
    if not candidates:
        return "nothing to sweep\n"
    header = ("TYPE", "RUN ID", "EXPIRES", "SELECTED", "ACTION", "ARN")
    rows = [
        (
            c.resource_type,
            c.run_id,
            format_expiry(c.expires) if c.expires else "-",
            c.reason,
            _KINDS[c.resource_type].action if c.resource_type in _KINDS else "none: no deleter, reported",
            c.arn,
        )
        for c in candidates
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)), row[-1]])
        for row in [header, *rows]
    ]
    unknown = sum(c.resource_type not in _KINDS for c in candidates)
    total = f"{len(candidates)} resource(s) selected"
    if unknown:
        total += f", {unknown} of a type the sweep cannot delete (delete those by hand)"
    return "\n".join([*lines, total]) + "\n"


def delete(target: Any, candidates: list[Candidate]) -> list[tuple[Candidate, str]]:
    """Delete `candidates` in dependency order; returns those it could not delete, each with the reason.

    Each type's steps run for all its resources before the next step (revoke every security group's rules,
    then delete the groups). One failure does not stop the others: a dependent resource then fails in turn,
    with its own reason. Runs the target's preflight first, as any call that changes an account must.
    """
    target.preflight()
    with contextlib.ExitStack() as started:
        return _delete(_Contexts(target, {c.arn for c in candidates}, started), candidates)


def _delete(contexts: _Contexts, candidates: list[Candidate]) -> list[tuple[Candidate, str]]:
    failures: list[tuple[Candidate, str]] = []
    followers: list[tuple[Candidate, str]] = []  # resources that go with their VPC, and its ARN
    by_type: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        by_type.setdefault(candidate.resource_type, []).append(candidate)
    for kind_name, kind in _KINDS.items():
        pending = by_type.pop(kind_name, [])
        for step in kind.steps:  # each step for every resource of the type, then the next step
            still: list[Candidate] = []
            for candidate in pending:
                try:
                    step(contexts.of(candidate), candidate)
                except _GoesWith as err:
                    followers.append((candidate, err.vpc_arn))
                    continue
                except Exception as err:  # one resource's failure must not stop the sweep
                    if not _NOT_FOUND.search(_code(err)):
                        failures.append((candidate, _describe(err)))
                        continue
                    # Nothing for this step to act on; the type's last step removes the resource, so a
                    # not-found there means it is gone, and a not-found earlier lets that step find out.
                still.append(candidate)
            pending = still
    for name, rest in by_type.items():
        failures += [(c, f"the sweep has no deleter for {name}: delete it by hand") for c in rest]
    failed = {c.arn for c, _ in failures}
    failures += [(c, f"goes with {vpc}, which was not deleted") for c, vpc in followers if vpc in failed]
    return failures


# -- discovery beyond the Tagging API ---------------------------------------------------------------------


@contextlib.contextmanager
def _in_region(target: Any, region: str) -> Iterator[Any]:
    """The target itself in its own region; elsewhere its view of that region, started and stopped here."""
    if region == target.region:
        yield target
        return
    with target.in_region(region) as regional:
        yield regional


def _listed_globally(target: Any) -> Iterator[tuple[str, dict[str, str]]]:
    """Run-tagged IAM roles and OIDC providers, which the Tagging API does not return (IAM is global)."""
    iam = target.client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            if role["Path"].startswith("/aws-service-role/"):
                continue  # owned by AWS services; never a run's
            tags = _tags(iam.list_role_tags(RoleName=role["RoleName"])["Tags"])
            if RUN_ID_TAG in tags:
                yield role["Arn"], tags
    for provider in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]:
        tags = _tags(iam.list_open_id_connect_provider_tags(OpenIDConnectProviderArn=provider["Arn"])["Tags"])
        if RUN_ID_TAG in tags:
            yield provider["Arn"], tags


def _listed_in_region(target: Any) -> Iterator[tuple[str, dict[str, str]]]:
    """Run-tagged elastic IPs and launch templates of the target's region, which moto's Tagging API omits."""
    identity = target.client("sts").get_caller_identity()
    prefix = f"arn:{identity['Arn'].split(':')[1]}:ec2:{target.region}:{identity['Account']}"
    ec2 = target.client("ec2")
    run_tagged = [{"Name": "tag-key", "Values": [RUN_ID_TAG]}]
    for address in ec2.describe_addresses(Filters=run_tagged)["Addresses"]:
        yield f"{prefix}:elastic-ip/{address['AllocationId']}", _tags(address.get("Tags", []))
    for page in ec2.get_paginator("describe_launch_templates").paginate(Filters=run_tagged):
        for template in page["LaunchTemplates"]:
            yield f"{prefix}:launch-template/{template['LaunchTemplateId']}", _tags(template.get("Tags", []))


def _tags(pairs: list[dict[str, str]]) -> dict[str, str]:
    return {pair["Key"]: pair["Value"] for pair in pairs}


# -- deletion --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    target: Any  # in the region of the resources it deletes
    arns: set[str]  # everything being deleted: a default security group goes with its VPC

    def client(self, service: str) -> Any:
        return self.target.client(service)


@dataclass
class _Contexts:
    """A context per region the candidates are in."""

    target: Any
    arns: set[str]
    started: contextlib.ExitStack  # the other regions' views, stopped when the deletion ends
    by_region: dict[str, _Context] = field(default_factory=dict)

    def of(self, candidate: Candidate) -> _Context:
        region = candidate.region or candidate.arn.split(":", 4)[3] or self.target.region
        if region not in self.by_region:
            regional = self.started.enter_context(_in_region(self.target, region))
            self.by_region[region] = _Context(regional, self.arns)
        return self.by_region[region]


class _GoesWith(Exception):
    """A resource AWS deletes with its VPC (a default security group, a main route table)."""

    def __init__(self, vpc_arn: str) -> None:
        super().__init__(vpc_arn)
        self.vpc_arn = vpc_arn


class _CannotDelete(Exception):
    """A resource the sweep must leave, with the reason."""


Step = Callable[[_Context, Candidate], None]


@dataclass(frozen=True)
class _Kind:
    action: str  # what the dry run says deleting it involves
    steps: tuple[Step, ...]


def _rid(candidate: Candidate) -> str:
    """The resource's id or name: what follows the type in the ARN."""
    return re.split(r"[/:]", candidate.arn.split(":", 5)[5], maxsplit=1)[-1]


def _goes_with_vpc(context: _Context, candidate: Candidate, vpc_id: str, what: str) -> None:
    vpc_arn = f"{candidate.arn.rsplit(':', 1)[0]}:vpc/{vpc_id}"
    if vpc_arn in context.arns:
        raise _GoesWith(vpc_arn)
    raise _CannotDelete(f"{what} goes only with its VPC {vpc_id}, which is not selected")


def _eks_nodegroup_delete(context: _Context, candidate: Candidate) -> None:
    cluster, nodegroup = _rid(candidate).split("/")[:2]
    context.client("eks").delete_nodegroup(clusterName=cluster, nodegroupName=nodegroup)


def _eks_nodegroup_wait(context: _Context, candidate: Candidate) -> None:
    cluster, nodegroup = _rid(candidate).split("/")[:2]
    waiter = context.client("eks").get_waiter("nodegroup_deleted")
    waiter.wait(clusterName=cluster, nodegroupName=nodegroup, WaiterConfig=_WAIT)


def _eks_addon(context: _Context, candidate: Candidate) -> None:
    cluster, addon = _rid(candidate).split("/")[:2]
    context.client("eks").delete_addon(clusterName=cluster, addonName=addon)


def _eks_cluster_delete(context: _Context, candidate: Candidate) -> None:
    context.client("eks").delete_cluster(name=_rid(candidate))


def _eks_cluster_wait(context: _Context, candidate: Candidate) -> None:
    context.client("eks").get_waiter("cluster_deleted").wait(name=_rid(candidate), WaiterConfig=_WAIT)


def _rds_instance_delete(context: _Context, candidate: Candidate) -> None:
    rds, name = context.client("rds"), _rid(candidate)
    if rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0].get("DeletionProtection"):
        rds.modify_db_instance(DBInstanceIdentifier=name, DeletionProtection=False, ApplyImmediately=True)
    rds.delete_db_instance(DBInstanceIdentifier=name, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)


def _rds_instance_wait(context: _Context, candidate: Candidate) -> None:
    waiter = context.client("rds").get_waiter("db_instance_deleted")
    waiter.wait(DBInstanceIdentifier=_rid(candidate), WaiterConfig=_WAIT)


def _rds_subnet_group(context: _Context, candidate: Candidate) -> None:
    context.client("rds").delete_db_subnet_group(DBSubnetGroupName=_rid(candidate))


def _rds_parameter_group(context: _Context, candidate: Candidate) -> None:
    context.client("rds").delete_db_parameter_group(DBParameterGroupName=_rid(candidate))


def _flow_log(context: _Context, candidate: Candidate) -> None:
    answer = context.client("ec2").delete_flow_logs(FlowLogIds=[_rid(candidate)])
    for item in answer.get("Unsuccessful", []):
        raise _CannotDelete(item.get("Error", {}).get("Message") or "DeleteFlowLogs was unsuccessful")


def _launch_template(context: _Context, candidate: Candidate) -> None:
    context.client("ec2").delete_launch_template(LaunchTemplateId=_rid(candidate))


def _trail(context: _Context, candidate: Candidate) -> None:
    context.client("cloudtrail").delete_trail(Name=_rid(candidate))


def _detector(context: _Context, candidate: Candidate) -> None:
    context.client("guardduty").delete_detector(DetectorId=_rid(candidate))


def _alarm(context: _Context, candidate: Candidate) -> None:
    context.client("cloudwatch").delete_alarms(AlarmNames=[_rid(candidate)])


def _topic(context: _Context, candidate: Candidate) -> None:
    context.client("sns").delete_topic(TopicArn=candidate.arn)


def _log_group(context: _Context, candidate: Candidate) -> None:
    context.client("logs").delete_log_group(logGroupName=_rid(candidate).removesuffix(":*"))


def _repository(context: _Context, candidate: Candidate) -> None:
    context.client("ecr").delete_repository(repositoryName=_rid(candidate), force=True)


def _parameter(context: _Context, candidate: Candidate) -> None:
    # The ARN drops a name's leading slash: `/a/b` and `a` become `parameter/a/b` and `parameter/a`.
    ssm, rest = context.client("ssm"), _rid(candidate)
    first, second = (f"/{rest}", rest) if "/" in rest else (rest, f"/{rest}")
    try:
        ssm.delete_parameter(Name=first)
    except ClientError as err:
        if _code(err) != "ParameterNotFound":
            raise
        ssm.delete_parameter(Name=second)


def _table(context: _Context, candidate: Candidate) -> None:
    dynamodb, name = context.client("dynamodb"), _rid(candidate)
    if dynamodb.describe_table(TableName=name)["Table"].get("DeletionProtectionEnabled"):
        dynamodb.update_table(TableName=name, DeletionProtectionEnabled=False)
    dynamodb.delete_table(TableName=name)


def _bucket_empty(context: _Context, candidate: Candidate) -> None:
    """Every object version and delete marker: a versioned bucket is not empty until both are gone."""
    s3, bucket = context.client("s3"), candidate.arn.split(":::", 1)[1]
    while True:
        page = s3.list_object_versions(Bucket=bucket, MaxKeys=1000)
        versions = page.get("Versions", []) + page.get("DeleteMarkers", [])
        if not versions:
            return
        for start in range(0, len(versions), 1000):  # DeleteObjects takes at most 1000 keys
            batch = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions[start : start + 1000]]
            errors = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True}).get("Errors")
            if errors:
                raise _CannotDelete(f"{len(errors)} object version(s) not deleted: {errors[0].get('Message')}")


def _bucket_delete(context: _Context, candidate: Candidate) -> None:
    context.client("s3").delete_bucket(Bucket=candidate.arn.split(":::", 1)[1])


def _nat_delete(context: _Context, candidate: Candidate) -> None:
    context.client("ec2").delete_nat_gateway(NatGatewayId=_rid(candidate))


def _nat_wait(context: _Context, candidate: Candidate) -> None:
    # Until it is deleted its elastic IP stays associated and its subnet in use.
    waiter = context.client("ec2").get_waiter("nat_gateway_deleted")
    waiter.wait(NatGatewayIds=[_rid(candidate)], WaiterConfig=_WAIT)


def _address(context: _Context, candidate: Candidate) -> None:
    context.client("ec2").release_address(AllocationId=_rid(candidate))


def _security_group_rules(context: _Context, candidate: Candidate) -> None:
    """Revoke every rule first: groups that reference each other cannot be deleted one at a time."""
    ec2 = context.client("ec2")
    group = ec2.describe_security_groups(GroupIds=[_rid(candidate)])["SecurityGroups"][0]
    if group["GroupName"] == "default":
        _goes_with_vpc(context, candidate, group["VpcId"], "a VPC's default security group")
    if group.get("IpPermissions"):
        ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
    if group.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])


def _security_group(context: _Context, candidate: Candidate) -> None:
    context.client("ec2").delete_security_group(GroupId=_rid(candidate))


def _route_table_associations(context: _Context, candidate: Candidate) -> None:
    ec2 = context.client("ec2")
    table = ec2.describe_route_tables(RouteTableIds=[_rid(candidate)])["RouteTables"][0]
    associations = table.get("Associations", [])
    if any(a.get("Main") for a in associations):
        _goes_with_vpc(context, candidate, table["VpcId"], "a VPC's main route table")
    for association in associations:
        ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])


def _route_table(context: _Context, candidate: Candidate) -> None:
    context.client("ec2").delete_route_table(RouteTableId=_rid(candidate))


def _internet_gateway_detach(context: _Context, candidate: Candidate) -> None:
    ec2, gateway_id = context.client("ec2"), _rid(candidate)
    gateway = ec2.describe_internet_gateways(InternetGatewayIds=[gateway_id])["InternetGateways"][0]
    for attachment in gateway.get("Attachments", []):
        ec2.detach_internet_gateway(InternetGatewayId=gateway_id, VpcId=attachment["VpcId"])


def _internet_gateway(context: _Context, candidate: Candidate) -> None:
    context.client("ec2").delete_internet_gateway(InternetGatewayId=_rid(candidate))


def _subnet(context: _Context, candidate: Candidate) -> None:
    context.client("ec2").delete_subnet(SubnetId=_rid(candidate))


def _vpc(context: _Context, candidate: Candidate) -> None:
    context.client("ec2").delete_vpc(VpcId=_rid(candidate))


def _oidc_provider(context: _Context, candidate: Candidate) -> None:
    context.client("iam").delete_open_id_connect_provider(OpenIDConnectProviderArn=candidate.arn)


def _role_detach(context: _Context, candidate: Candidate) -> None:
    """A role is deletable only once nothing refers to it: managed and inline policies, instance profiles."""
    iam, name = context.client("iam"), candidate.arn.rsplit("/", 1)[1]
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        for policy in page["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
        for policy_name in page["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy_name)
    for page in iam.get_paginator("list_instance_profiles_for_role").paginate(RoleName=name):
        for profile in page["InstanceProfiles"]:
            iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=name)


def _role(context: _Context, candidate: Candidate) -> None:
    context.client("iam").delete_role(RoleName=candidate.arn.rsplit("/", 1)[1])


def _kms_aliases(context: _Context, candidate: Candidate) -> None:
    """Aliases first: they would keep pointing at a dying key, and keep their names taken."""
    kms = context.client("kms")
    for page in kms.get_paginator("list_aliases").paginate(KeyId=_rid(candidate)):
        for alias in page["Aliases"]:
            kms.delete_alias(AliasName=alias["AliasName"])


def _kms_key(context: _Context, candidate: Candidate) -> None:
    """The shortest waiting period AWS allows; the key is no longer a leftover once pending deletion."""
    context.client("kms").schedule_key_deletion(KeyId=_rid(candidate), PendingWindowInDays=7)


#: Resource type → how to delete it, in deletion order: what depends on a resource goes before it. The last
#: step of each removes the resource itself (see `delete`).
_KINDS: dict[str, _Kind] = {
    "eks:nodegroup": _Kind("delete, wait until gone", (_eks_nodegroup_delete, _eks_nodegroup_wait)),
    "eks:addon": _Kind("delete", (_eks_addon,)),
    "eks:cluster": _Kind("delete, wait until gone", (_eks_cluster_delete, _eks_cluster_wait)),
    "rds:db": _Kind(
        "unprotect, delete without final snapshot, wait until gone", (_rds_instance_delete, _rds_instance_wait)
    ),
    "rds:subgrp": _Kind("delete", (_rds_subnet_group,)),
    "rds:pg": _Kind("delete", (_rds_parameter_group,)),
    "ec2:vpc-flow-log": _Kind("delete", (_flow_log,)),
    "ec2:flow-logs": _Kind("delete", (_flow_log,)),  # moto's ARN for a flow log
    "ec2:launch-template": _Kind("delete", (_launch_template,)),
    "cloudtrail:trail": _Kind("delete", (_trail,)),
    "guardduty:detector": _Kind("delete", (_detector,)),
    "cloudwatch:alarm": _Kind("delete", (_alarm,)),
    "sns:topic": _Kind("delete", (_topic,)),
    "logs:log-group": _Kind("delete", (_log_group,)),
    "ecr:repository": _Kind("delete with its images (force)", (_repository,)),
    "ssm:parameter": _Kind("delete", (_parameter,)),
    "dynamodb:table": _Kind("unprotect, delete", (_table,)),
    "s3:bucket": _Kind("delete every object version and marker, delete", (_bucket_empty, _bucket_delete)),
    "ec2:natgateway": _Kind("delete, wait until gone", (_nat_delete, _nat_wait)),
    "ec2:elastic-ip": _Kind("release", (_address,)),
    "ec2:security-group": _Kind("revoke rules, delete", (_security_group_rules, _security_group)),
    "ec2:route-table": _Kind("disassociate, delete", (_route_table_associations, _route_table)),
    "ec2:internet-gateway": _Kind("detach, delete", (_internet_gateway_detach, _internet_gateway)),
    "ec2:subnet": _Kind("delete", (_subnet,)),
    "ec2:vpc": _Kind("delete", (_vpc,)),
    "iam:oidc-provider": _Kind("delete", (_oidc_provider,)),
    "iam:role": _Kind("detach policies and instance profiles, delete", (_role_detach, _role)),
    "kms:key": _Kind("delete aliases, schedule deletion in 7 days", (_kms_aliases, _kms_key)),
}
_ORDER = {name: index for index, name in enumerate(_KINDS)}


def _order(candidate: Candidate) -> tuple[int, str]:
    return _ORDER.get(candidate.resource_type, len(_ORDER)), candidate.arn


def _code(err: Exception) -> str:
    response = getattr(err, "response", None)
    return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""


def _describe(err: Exception) -> str:
    code = _code(err)
    if code:
        return f"{code}: {err.response['Error'].get('Message', '')}".strip()  # type: ignore[attr-defined]
    return " ".join(str(err).split()) or type(err).__name__
