data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  name            = coalesce(var.name, var.bucket_name)
  lock_table_name = coalesce(var.lock_table_name, "${var.bucket_name}-lock")
  account_root    = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
}
