data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  az_count  = length(var.azs)
  nat_count = var.nat_gateway_mode == "single" ? 1 : local.az_count

  # Private subnets take the first six /(n+3) blocks; public ones the last eight /(n+5) blocks, indexes 24-29.
  # For a /16: private /19s from 10.x.0.0, public /21s from 10.x.192.0.
  private_cidrs = [for i in range(local.az_count) : cidrsubnet(var.cidr, 3, i)]
  public_cidrs  = [for i in range(local.az_count) : cidrsubnet(var.cidr, 5, 24 + i)]

  cluster_tags = var.cluster_name == null ? {} : { "kubernetes.io/cluster/${var.cluster_name}" = "shared" }

  flow_log_group_name = "/aws/vpc-flow-logs/${var.name}"
  # Built from its parts, not read from the log group: the key policy needs it before the group exists.
  flow_log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.flow_log_group_name}"
}
