# A "release" that does not apply: its log group is created, then its postcondition (on a value known only once
# created) fails. test_stateful_change.py upgrades from it and expects the upgrade path to say so and leave nothing.
terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

variable "name" {
  description = "Prefix of every name; tests pass a unique one."
  type        = string
}

resource "aws_cloudwatch_log_group" "broken" {
  name              = "/${var.name}/broken"
  retention_in_days = 7

  lifecycle {
    postcondition {
      condition     = endswith(self.arn, ":never")
      error_message = "This release does not apply, on purpose."
    }
  }
}
