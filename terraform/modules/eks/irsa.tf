# IAM roles for service accounts: the cluster's OIDC issuer is trusted for sts.amazonaws.com tokens, and each
# role trusts exactly one namespace/service account.
resource "aws_iam_openid_connect_provider" "this" {
  url            = aws_eks_cluster.this.identity[0].oidc[0].issuer
  client_id_list = ["sts.amazonaws.com"]
  # No thumbprint_list: optional since provider 5.x, and IAM trusts the EKS issuers' certificate authority itself.

  tags = merge(var.tags, { Name = "${var.name}-irsa" })
}

locals {
  oidc_issuer = trimprefix(aws_eks_cluster.this.identity[0].oidc[0].issuer, "https://")

  irsa_subjects = {
    cluster_autoscaler = "system:serviceaccount:kube-system:cluster-autoscaler"
    log_shipper        = "system:serviceaccount:${var.log_shipper_namespace}:${var.log_shipper_service_account}"
  }

  log_shipper_group_arns = [
    for n in var.log_shipper_log_group_names : "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${n}"
  ]
}

data "aws_iam_policy_document" "irsa_assume" {
  for_each = local.irsa_subjects

  statement {
    sid     = "OneServiceAccountThroughTheClusterIssuer"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [aws_iam_openid_connect_provider.this.arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:sub"
      values   = [each.value]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.oidc_issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster_autoscaler" {
  name               = "${var.name}-cluster-autoscaler"
  description        = "Cluster Autoscaler of EKS cluster ${var.name} (kube-system/cluster-autoscaler)"
  assume_role_policy = data.aws_iam_policy_document.irsa_assume["cluster_autoscaler"].json

  tags = merge(var.tags, { Name = "${var.name}-cluster-autoscaler" })
}

data "aws_iam_policy_document" "cluster_autoscaler" {
  statement {
    sid    = "DiscoverGroupsAndInstanceTypes"
    effect = "Allow"
    # These Describe/Get actions support no resource-level permissions: "*" is the only resource they take.
    actions = [
      "autoscaling:DescribeAutoScalingGroups",
      "autoscaling:DescribeAutoScalingInstances",
      "autoscaling:DescribeLaunchConfigurations",
      "autoscaling:DescribeScalingActivities",
      "autoscaling:DescribeTags",
      "ec2:DescribeImages",
      "ec2:DescribeInstanceTypes",
      "ec2:DescribeLaunchTemplateVersions",
      "ec2:GetInstanceTypesFromInstanceRequirements",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "ReadThisClustersNodeGroups"
    effect    = "Allow"
    actions   = ["eks:DescribeNodegroup"]
    resources = ["arn:${local.partition}:eks:${local.region}:${local.account_id}:nodegroup/${var.name}/*/*"]
  }

  statement {
    sid     = "ScaleOnlyThisClustersGroups"
    effect  = "Allow"
    actions = ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]
    resources = [
      "arn:${local.partition}:autoscaling:${local.region}:${local.account_id}:autoScalingGroup:*:autoScalingGroupName/*",
    ]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/k8s.io/cluster-autoscaler/${var.name}"
      values   = ["owned"]
    }
  }
}

resource "aws_iam_role_policy" "cluster_autoscaler" {
  name   = "scale-node-groups"
  role   = aws_iam_role.cluster_autoscaler.id
  policy = data.aws_iam_policy_document.cluster_autoscaler.json
}

resource "aws_iam_role" "log_shipper" {
  name               = "${var.name}-log-shipper"
  description        = "Log shipper of EKS cluster ${var.name} (${var.log_shipper_namespace}/${var.log_shipper_service_account})"
  assume_role_policy = data.aws_iam_policy_document.irsa_assume["log_shipper"].json

  tags = merge(var.tags, { Name = "${var.name}-log-shipper" })
}

# No logs:CreateLogGroup: a group the shipper created would have no retention and no key. Terraform creates them.
data "aws_iam_policy_document" "log_shipper" {
  statement {
    sid       = "WriteToTheGivenLogGroupsOnly"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = flatten([for arn in local.log_shipper_group_arns : [arn, "${arn}:*"]])
  }
}

resource "aws_iam_role_policy" "log_shipper" {
  name   = "ship-logs"
  role   = aws_iam_role.log_shipper.id
  policy = data.aws_iam_policy_document.log_shipper.json
}
