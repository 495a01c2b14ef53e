# A module with only the built-in terraform provider: planned by terraform itself, no cloud, no credentials.
# Regenerate the JSON fixtures beside it with the commands in tests/unit/harness/test_plan.py.

variable "label" {
  type    = string
  default = "alpha"
}

locals {
  prefix = "tiny-${var.label}"
}

resource "terraform_data" "seed" {
  input = local.prefix
}

resource "terraform_data" "worker" {
  count = 2
  input = {
    name   = "worker-${count.index}"
    labels = { team = "core", tier = "app" }
    ports  = [80, 443]
  }
}

resource "terraform_data" "consumer" {
  input            = terraform_data.seed.output
  triggers_replace = [var.label]
}

output "prefix" {
  value = local.prefix
}

output "secret_prefix" {
  value     = local.prefix
  sensitive = true
}

output "consumer_output" {
  value = terraform_data.consumer.output
}
