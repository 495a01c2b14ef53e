resource "aws_ssm_parameter" "canary" {
  name        = var.parameter_name
  description = "Canary written by the backend-consumer example to prove remote state and locking work"
  type        = "String"
  tier        = "Standard"
  value       = var.parameter_value

  tags = var.tags
}
