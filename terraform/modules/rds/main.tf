data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  port        = 5432
  log_exports = ["postgresql", "upgrade"]

  # RDS writes exported logs to /aws/rds/instance/<identifier>/<type>; the module creates them first so they
  # have a retention and a key (RDS would otherwise create them itself, unencrypted and kept forever).
  log_group_prefix = "/aws/rds/instance/${var.name}"
  # Built from its parts, not read from the log groups: the key policy needs it before the groups exist.
  log_group_arn_pattern = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_prefix}/*"

  parameter_group_family = "postgres16"
}

# One key for everything the database stores: its volumes and snapshots, the AWS-managed master password in
# Secrets Manager, and its exported logs in CloudWatch. RDS and Secrets Manager use it on the caller's
# behalf (the root statement lets IAM grant that); CloudWatch Logs needs its own grant, narrowed to these groups.
module "kms" {
  source = "../kms-key"

  alias                   = "${var.name}-rds"
  description             = "Encrypts the RDS instance ${var.name}: storage, snapshots, master user secret and log groups"
  deletion_window_in_days = var.kms_deletion_window_in_days
  tags                    = var.tags

  service_grants = [
    {
      sid      = "AllowCloudWatchLogsForTheDatabaseLogGroups"
      services = ["logs.${local.region}.amazonaws.com"]
      actions = [
        "kms:Encrypt*",
        "kms:Decrypt*",
        "kms:ReEncrypt*",
        "kms:GenerateDataKey*",
        "kms:Describe*",
      ]
      conditions = [
        {
          test     = "ArnLike"
          variable = "kms:EncryptionContext:aws:logs:arn"
          values   = [local.log_group_arn_pattern]
        },
      ]
    },
  ]
}
