"""Which AWS services (boto3 names) a set of Terraform resource types needs: a target's capabilities are
compared against this before anything is applied.

Resource types are `aws_<service>_<thing>` for most services; the exceptions are listed by prefix, longest
first. A type no row covers maps to its first word, which is what the provider's own naming does.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Type prefix → boto3 service name, for the prefixes whose first word is not the service's name.
_BY_PREFIX: tuple[tuple[str, str], ...] = tuple(
    sorted(
        {
            "aws_cloudwatch_log_": "logs",
            "aws_cloudwatch_metric_alarm": "cloudwatch",
            "aws_cloudwatch_dashboard": "cloudwatch",
            "aws_cloudwatch_event_": "events",
            "aws_db_": "rds",
            "aws_rds_": "rds",
            "aws_vpc": "ec2",
            "aws_subnet": "ec2",
            "aws_default_": "ec2",
            "aws_security_group": "ec2",
            "aws_internet_gateway": "ec2",
            "aws_nat_gateway": "ec2",
            "aws_eip": "ec2",
            "aws_route": "ec2",
            "aws_flow_log": "ec2",
            "aws_launch_template": "ec2",
            "aws_ebs_": "ec2",
            "aws_instance": "ec2",
            "aws_network_": "ec2",
            "aws_autoscaling_": "autoscaling",
            "aws_iam_openid_connect_provider": "iam",
            "aws_caller_identity": "sts",
            "aws_lb": "elbv2",
            "aws_alb": "elbv2",
            "aws_elasticache_": "elasticache",
            "aws_secretsmanager_": "secretsmanager",
        }.items(),
        key=lambda row: -len(row[0]),
    )
)
#: Types that make no API call of their own (computed locally by the provider).
_LOCAL = frozenset({"aws_iam_policy_document", "aws_partition", "aws_region", "aws_default_tags"})


def service_of(resource_type: str) -> str | None:
    """`aws_eks_node_group` → `eks`; `aws_db_instance` → `rds`; a local-only type → None."""
    if resource_type in _LOCAL or not resource_type.startswith("aws_"):
        return None
    for prefix, service in _BY_PREFIX:
        if resource_type.startswith(prefix):
            return service
    return resource_type.removeprefix("aws_").split("_", 1)[0]


def services_for(resource_types: Iterable[str]) -> frozenset[str]:
    """Every service the resource types need (data sources' types included, local-only ones not)."""
    return frozenset(s for t in resource_types if (s := service_of(t)) is not None)
