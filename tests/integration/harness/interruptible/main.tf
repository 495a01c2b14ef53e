# A module that takes long enough to interrupt: the lifecycle configuration makes the provider wait ~55 s
# after the bucket and key already exist.
terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

variable "bucket_name" {
  type = string
}

resource "aws_kms_key" "this" {
  description             = "stratatest interrupt probe"
  deletion_window_in_days = 7
  enable_key_rotation     = true
}

resource "aws_s3_bucket" "this" {
  bucket        = var.bucket_name
  force_destroy = true
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire"
    status = "Enabled"
    filter {}
    expiration {
      days = 30
    }
  }
}

output "kms_key_id" {
  value = aws_kms_key.this.key_id
}
