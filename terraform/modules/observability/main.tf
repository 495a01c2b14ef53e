data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  # Built from their parts, not read from the log groups: the key policy needs them before the groups exist.
  log_group_arns = {
    for k, n in var.log_groups : k => "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${n}"
  }

  topic_name = "${var.name}-alarms"
  # Every alarm of this module is named "<name>-..."; the topic and key policies admit only those.
  alarm_arn_pattern = "arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name}-*"

  logs_grant = {
    sid      = "AllowCloudWatchLogsForTheseLogGroupsOnly"
    services = ["logs.${local.region}.amazonaws.com"]
    actions  = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    conditions = [{
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = values(local.log_group_arns)
    }]
  }

  # CloudWatch publishes to an encrypted topic only if it may use the topic's key.
  alarms_grant = {
    sid      = "AllowCloudWatchAlarmsOfThisAccountToPublishToTheTopic"
    services = ["cloudwatch.amazonaws.com"]
    actions  = ["kms:Decrypt", "kms:GenerateDataKey*"]
    conditions = [
      { test = "StringEquals", variable = "aws:SourceAccount", values = [local.account_id] },
      { test = "ArnLike", variable = "aws:SourceArn", values = [local.alarm_arn_pattern] },
    ]
  }
}

module "kms_key" {
  source = "../kms-key"

  alias       = "${var.name}-observability"
  description = "Encrypts the log groups and the alarm topic of ${var.name}"
  # A key policy condition with no values is invalid: without log groups there is nothing to grant.
  service_grants          = length(var.log_groups) > 0 ? [local.logs_grant, local.alarms_grant] : [local.alarms_grant]
  deletion_window_in_days = var.kms_deletion_window_in_days
  tags                    = var.tags
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = var.log_groups

  name              = each.value
  retention_in_days = var.log_retention_in_days
  kms_key_id        = module.kms_key.arn

  tags = merge(var.tags, { Name = each.value })
}
