variable "name" {
  type = string
}

variable "kms_key_arn" {
  type = string
}

resource "aws_s3_bucket" "this" {
  bucket = var.name
}

module "encryption" {
  source      = "../encryption"
  bucket      = aws_s3_bucket.this.id
  kms_key_arn = var.kms_key_arn
}

output "name" {
  value = aws_s3_bucket.this.bucket
}
