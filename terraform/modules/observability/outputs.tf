output "alarm_topic_arn" {
  description = "ARN of the KMS-encrypted SNS topic every alarm notifies (alarm and OK); subscribe responders to it."
  value       = aws_sns_topic.alarms.arn
}

output "log_group_names" {
  description = "Names of the log groups, by the keys of var.log_groups."
  value       = { for k, g in aws_cloudwatch_log_group.this : k => g.name }
}

output "log_group_arns" {
  description = "ARNs of the log groups (without the :* suffix), by the keys of var.log_groups."
  value       = { for k, g in aws_cloudwatch_log_group.this : k => g.arn }
}

output "alarm_names" {
  description = "Names of every CloudWatch alarm the module creates (database and node groups), sorted."
  value       = sort(concat([for a in aws_cloudwatch_metric_alarm.db : a.alarm_name], [for a in aws_cloudwatch_metric_alarm.node_group : a.alarm_name]))
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the log groups and the alarm topic."
  value       = module.kms_key.arn
}
