# The "release" of a small module with stateful resources. test_stateful_change.py commits it into a scratch git
# repository, tags it, and commits a deliberate change on top that would replace or destroy some of them.
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

resource "aws_kms_key" "data" {
  description             = "stratatest upgrade probe ${var.name}"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

resource "aws_kms_alias" "data" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.data.key_id
}

resource "aws_s3_bucket" "data" {
  bucket        = var.name
  force_destroy = true
}

resource "aws_cloudwatch_log_group" "app" {
  name              = "/${var.name}/app"
  retention_in_days = 7
}
