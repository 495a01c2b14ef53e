# A root module that calls modules the ways real roots do, for the plan model's tests (test_plan_modules.py):
# a plain call, a call with count whose module calls a grandchild, a call with for_each, references across
# modules, an output known only after apply and a sensitive output. Planned, never applied.

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "bucket_count" {
  type    = number
  default = 2
}

variable "token" {
  type      = string
  default   = "nested-token-value"
  sensitive = true
}

module "key" {
  source = "./modules/key"
}

module "bucket" {
  source      = "./modules/bucket"
  count       = var.bucket_count
  name        = "stratatest-nested-${count.index}"
  kms_key_arn = module.key.arn
}

module "parameters" {
  source   = "./modules/parameters"
  for_each = { app = ["host", "port"], db = ["url"] }
  prefix   = "/nested/${each.key}"
  keys     = each.value
}

resource "aws_ssm_parameter" "key_arn" {
  name  = "/nested/key-arn"
  type  = "String"
  value = module.key.arn
}

output "key_arn" {
  value = module.key.arn
}

output "bucket_names" {
  value = module.bucket[*].name
}

output "token" {
  value     = var.token
  sensitive = true
}
