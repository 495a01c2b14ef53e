resource "aws_sns_topic" "alarms" {
  name              = local.topic_name
  kms_master_key_id = module.kms_key.arn

  tags = merge(var.tags, { Name = local.topic_name })
}

data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "AllowCloudWatchAlarmsOfThisAccountOnly"
    effect    = "Allow"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [local.alarm_arn_pattern]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.topic.json
}

locals {
  db_alarms = var.db_instance_identifier == null ? {} : {
    # No data means the instance is stopped or gone: not "high CPU" or "many connections", so those stay OK,
    # but the storage alarm treats it as breaching, so one database alarm pages when the instance goes silent.
    cpu-high = {
      metric      = "CPUUtilization"
      statistic   = "Average"
      comparison  = "GreaterThanThreshold"
      threshold   = var.db_cpu_threshold_percent
      periods     = 3
      missing     = "notBreaching"
      description = "Average CPU of RDS instance ${var.db_instance_identifier} above ${var.db_cpu_threshold_percent}% for 15 minutes."
    }
    free-storage-low = {
      metric      = "FreeStorageSpace"
      statistic   = "Minimum"
      comparison  = "LessThanThreshold"
      threshold   = var.db_free_storage_threshold_bytes
      periods     = 1
      missing     = "breaching"
      description = "Free storage of RDS instance ${var.db_instance_identifier} below ${var.db_free_storage_threshold_bytes} bytes, or the instance stopped reporting."
    }
    connections-high = {
      metric      = "DatabaseConnections"
      statistic   = "Maximum"
      comparison  = "GreaterThanThreshold"
      threshold   = var.db_connections_threshold
      periods     = 3
      missing     = "notBreaching"
      description = "Open connections to RDS instance ${var.db_instance_identifier} above ${var.db_connections_threshold} for 15 minutes."
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "db" {
  for_each = local.db_alarms

  alarm_name          = "${var.name}-db-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/RDS"
  metric_name         = each.value.metric
  dimensions          = { DBInstanceIdentifier = var.db_instance_identifier }
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = each.value.periods
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = each.value.missing
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = merge(var.tags, { Name = "${var.name}-db-${each.key}" })
}

# A managed node group is an Auto Scaling group that EKS names; EC2 publishes CPU and status checks per
# Auto Scaling group without any agent on the nodes. See README.md for why these metrics.
data "aws_eks_node_group" "this" {
  for_each = var.node_group_names

  cluster_name    = var.cluster_name
  node_group_name = each.value

  # The node groups are usually created in the same apply as this module, so a read at plan time would fail
  # on the first run. Depending on the topic (created in that same first apply) defers the read to apply,
  # where it waits for the node groups through var.node_group_names; later plans read at plan time.
  depends_on = [aws_sns_topic.alarms]
}

locals {
  node_group_alarms = merge([
    for k, node_group in var.node_group_names : {
      # No CPU data means the group has no running instance, which the status-check alarm reports.
      "${k}-cpu-high" = {
        asg         = data.aws_eks_node_group.this[k].resources[0].autoscaling_groups[0].name
        metric      = "CPUUtilization"
        statistic   = "Average"
        comparison  = "GreaterThanThreshold"
        threshold   = var.node_cpu_threshold_percent
        periods     = 3
        missing     = "notBreaching"
        description = "Average CPU of node group ${node_group} (${var.cluster_name}) above ${var.node_cpu_threshold_percent}% for 15 minutes."
      }
      # Status checks are published every minute for every running instance: none at all means the node
      # group has no running node, which is an outage for a group whose minimum size is at least one.
      "${k}-status-check-failed" = {
        asg         = data.aws_eks_node_group.this[k].resources[0].autoscaling_groups[0].name
        metric      = "StatusCheckFailed"
        statistic   = "Maximum"
        comparison  = "GreaterThanOrEqualToThreshold"
        threshold   = 1
        periods     = 3
        missing     = "breaching"
        description = "An instance of node group ${node_group} (${var.cluster_name}) failed EC2 status checks for 15 minutes, or the group has no running instance."
      }
    }
  ]...)
}

resource "aws_cloudwatch_metric_alarm" "node_group" {
  for_each = local.node_group_alarms

  alarm_name          = "${var.name}-ng-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/EC2"
  metric_name         = each.value.metric
  dimensions          = { AutoScalingGroupName = each.value.asg }
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = each.value.periods
  datapoints_to_alarm = each.value.periods
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = each.value.missing
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = merge(var.tags, { Name = "${var.name}-ng-${each.key}" })
}
