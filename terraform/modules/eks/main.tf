data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  cluster_log_types = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  cluster_log_group_name = "/aws/eks/${var.name}/cluster"
  # Built from its parts, not read from the log group: the key policy needs it before the group exists.
  cluster_log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.cluster_log_group_name}"

  # Tags Cluster Autoscaler's auto-discovery looks for; EKS puts the same ones on the groups' Auto Scaling groups.
  autoscaler_tags = {
    "k8s.io/cluster-autoscaler/enabled"     = "true"
    "k8s.io/cluster-autoscaler/${var.name}" = "owned"
  }
}

# Secrets: EKS uses the key through the cluster role (the key policy delegates to IAM; see cluster.tf).
module "secrets_key" {
  source = "../kms-key"

  alias                   = "${var.name}-eks-secrets"
  description             = "Envelope encryption of Kubernetes secrets of EKS cluster ${var.name}"
  deletion_window_in_days = var.kms_deletion_window_in_days
  tags                    = var.tags
}

module "cluster_log_key" {
  source = "../kms-key"

  alias                   = "${var.name}-eks-logs"
  description             = "Encrypts the EKS control-plane log group ${local.cluster_log_group_name}"
  deletion_window_in_days = var.kms_deletion_window_in_days
  tags                    = var.tags

  service_grants = [{
    sid      = "AllowCloudWatchLogsForTheClusterLogGroup"
    services = ["logs.${local.region}.amazonaws.com"]
    actions  = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    conditions = [{
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.cluster_log_group_arn]
    }]
  }]
}

resource "aws_cloudwatch_log_group" "cluster" {
  name              = local.cluster_log_group_name
  retention_in_days = var.cluster_log_retention_in_days
  kms_key_id        = module.cluster_log_key.arn

  tags = merge(var.tags, { Name = "${var.name}-cluster-logs" })
}
