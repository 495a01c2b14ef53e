output "parameter_arn" {
  description = "ARN of the canary SSM parameter."
  value       = aws_ssm_parameter.canary.arn
}

output "parameter_version" {
  description = "Version of the canary SSM parameter (increments on every value change)."
  value       = aws_ssm_parameter.canary.version
}
