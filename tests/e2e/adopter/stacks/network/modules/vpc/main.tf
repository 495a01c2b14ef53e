variable "name" {
  type = string
}

variable "cidr" {
  type = string
}

variable "enabled" {
  type    = bool
  default = true
}

resource "aws_vpc" "this" {
  count                = var.enabled ? 1 : 0
  cidr_block           = var.cidr
  enable_dns_hostnames = true
  tags = {
    Name = var.name
  }
}

output "id" {
  value = aws_vpc.this[0].id
}
