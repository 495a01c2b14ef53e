# A root module with default_tags of its own on the default provider and on one alias (both merge var.run_id),
# and a second alias without any (the harness generates the run's tags there).
terraform {
  required_version = ">= 1.6"
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

variable "name" {
  type = string
}

provider "aws" {
  region = "eu-west-3" # the target's region replaces it
  default_tags {
    tags = merge({ environment = "probe" }, var.run_id == null ? {} : { "stratatest:run-id" = var.run_id })
  }
}

provider "aws" {
  alias  = "tagged"
  region = "eu-central-1"
  default_tags {
    tags = merge({ copy = "tagged" }, var.run_id == null ? {} : { "stratatest:run-id" = var.run_id })
  }
}

provider "aws" {
  alias  = "plain"
  region = "us-west-2"
}

resource "aws_ssm_parameter" "home" {
  name  = "/${var.name}/home"
  type  = "String"
  value = "home"
}

resource "aws_ssm_parameter" "tagged" {
  provider = aws.tagged
  name     = "/${var.name}/tagged"
  type     = "String"
  value    = "tagged"
}

resource "aws_ssm_parameter" "plain" {
  provider = aws.plain
  name     = "/${var.name}/plain"
  type     = "String"
  value    = "plain"
}
