# A root module as the environments are written: own provider with default_tags, a run_id variable, and a
# remote backend in partial configuration that a plan without backend settings must not need.
terraform {
  required_version = ">= 1.6"
  backend "s3" {}
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

variable "run_id" {
  type    = string
  default = null
}

variable "parameter_name" {
  type = string
}

provider "aws" {
  region = "eu-west-3" # the target's region replaces it

  default_tags {
    tags = merge({ environment = "probe" }, var.run_id == null ? {} : { "stratatest:run-id" = var.run_id })
  }
}

resource "aws_ssm_parameter" "probe" {
  name  = var.parameter_name
  type  = "String"
  value = "root module"
}
