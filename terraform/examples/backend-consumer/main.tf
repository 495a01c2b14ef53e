resource "aws_ssm_parameter" "canary" {
  #checkov:skip=CKV2_AWS_34:the canary holds a non-secret marker value that only proves remote state works
  name        = var.parameter_name
  description = "Canary written by the backend-consumer example to prove remote state and locking work"
  type        = "String"
  tier        = "Standard"
  value       = var.parameter_value

  tags = var.tags
}
