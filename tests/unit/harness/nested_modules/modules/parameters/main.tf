variable "prefix" {
  type = string
}

variable "keys" {
  type = list(string)
}

resource "aws_ssm_parameter" "this" {
  for_each = toset(var.keys)
  name     = "${var.prefix}/${each.key}"
  type     = "String"
  value    = each.key
}
