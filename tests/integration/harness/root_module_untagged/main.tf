# A root module with its own provider block, no default_tags and no run_id variable, as most are written: the
# harness adds the run's tags to its provider without any edit.
provider "aws" {
  region = "us-east-1"
}

variable "parameter_name" {
  type    = string
  default = "/stratatest/untagged"
}

resource "aws_ssm_parameter" "probe" {
  name  = var.parameter_name
  type  = "String"
  value = "x"
}
