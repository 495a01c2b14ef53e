# Reads from three services at plan time: each must answer from the target, through the one endpoint setting.
variable "parameter" {
  type = string
}

data "aws_caller_identity" "me" {}

data "aws_ssm_parameter" "probe" {
  name = var.parameter
}

data "aws_sqs_queues" "all" {}

output "account_id" {
  value = data.aws_caller_identity.me.account_id
}

output "parameter" {
  value = nonsensitive(data.aws_ssm_parameter.probe.value)
}

output "queues" {
  value = data.aws_sqs_queues.all.queue_urls
}
