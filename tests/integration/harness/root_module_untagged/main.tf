# A root module with its own provider and no run_id variable: the harness must refuse it.
provider "aws" {
  region = "us-east-1"
}

resource "aws_ssm_parameter" "probe" {
  name  = "/stratatest/untagged"
  type  = "String"
  value = "x"
}
