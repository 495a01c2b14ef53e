output "db_instance_identifier" {
  description = "Identifier of the DB instance (var.name)."
  value       = aws_db_instance.this.identifier
}

output "db_instance_arn" {
  description = "ARN of the DB instance."
  value       = aws_db_instance.this.arn
}

output "address" {
  description = "DNS name of the instance, resolvable inside the VPC only."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port PostgreSQL listens on."
  value       = aws_db_instance.this.port
}

output "security_group_id" {
  description = "ID of the database's security group: 5432 from allowed_security_group_ids only."
  value       = aws_security_group.this.id
}

output "parameter_group_name" {
  description = "Name of the DB parameter group (rds.force_ssl = 1)."
  value       = aws_db_parameter_group.this.name
}

output "subnet_group_name" {
  description = "Name of the DB subnet group."
  value       = aws_db_subnet_group.this.name
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the storage, snapshots, master user secret and log groups."
  value       = module.kms.arn
}

output "master_user_secret_arn" {
  description = "ARN of the Secrets Manager secret holding the AWS-managed master password (dbadmin)."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "log_group_names" {
  description = "CloudWatch log group name per exported log type: postgresql, upgrade."
  value       = { for type, group in aws_cloudwatch_log_group.this : type => group.name }
}
