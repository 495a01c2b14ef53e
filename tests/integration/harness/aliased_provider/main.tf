# A module whose only aws provider block is an alias in another region: the harness generates the default
# configuration and points the alias at the target too, keeping its region, with the run's tags.
terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}

variable "name" {
  type = string
}

provider "aws" {
  alias  = "replica"
  region = "us-west-2"
}

resource "aws_ssm_parameter" "home" {
  name  = "/${var.name}/home"
  type  = "String"
  value = "home"
}

resource "aws_ssm_parameter" "replica" {
  provider = aws.replica
  name     = "/${var.name}/replica"
  type     = "String"
  value    = "replica"
}
