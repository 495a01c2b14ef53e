terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

provider "aws" {
  region = "us-east-1"
}

variable "name" {
  type = string
}

variable "cidr" {
  type    = string
  default = "10.20.0.0/16"
}

variable "zones" {
  type    = list(string)
  default = ["a", "b"]
}

module "vpc" {
  source = "./modules/vpc"
  name   = var.name
  cidr   = var.cidr
}

module "subnet" {
  source   = "./modules/subnet"
  for_each = toset(var.zones)
  name     = "${var.name}-${each.key}"
  vpc_id   = module.vpc.id
  cidr     = cidrsubnet(var.cidr, 8, index(var.zones, each.key))
}

output "vpc_id" {
  value = module.vpc.id
}

output "subnet_ids" {
  value = { for zone, subnet in module.subnet : zone => subnet.id }
}
