# One KMS key with rotation: idempotent on AWS and on the corrected moto, drifting on plain moto 5.2.5.
terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "stratatest idempotency probe"
  deletion_window_in_days = 7
  enable_key_rotation     = true
  rotation_period_in_days = 180
}
