variable "prefix" {
  type    = string
  default = "adopter"
}

variable "db_password" {
  type      = string
  sensitive = true
  default   = "Example-Passw0rd-Not-Real"
}

module "bucket" {
  source   = "./modules/bucket"
  for_each = toset(["logs", "data"])
  name     = "${var.prefix}-${each.key}"
}

resource "aws_ssm_parameter" "db_password" {
  name  = "/${var.prefix}/db-password"
  type  = "SecureString"
  value = var.db_password
}

output "bucket_arns" {
  value = { for key, bucket in module.bucket : key => bucket.arn }
}

output "db_password" {
  value     = aws_ssm_parameter.db_password.value
  sensitive = true
}
