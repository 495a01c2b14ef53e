resource "aws_kms_key" "this" {
  description         = "nested modules test key"
  enable_key_rotation = true
}

output "arn" {
  value = aws_kms_key.this.arn
}
