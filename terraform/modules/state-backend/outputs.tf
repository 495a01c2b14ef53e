output "bucket_name" {
  description = "Name of the state bucket."
  value       = aws_s3_bucket.state.id
}

output "bucket_arn" {
  description = "ARN of the state bucket."
  value       = aws_s3_bucket.state.arn
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts state objects and the lock table."
  value       = aws_kms_key.state.arn
}

output "kms_key_id" {
  description = "ID of the KMS key."
  value       = aws_kms_key.state.key_id
}

output "kms_alias_name" {
  description = "Alias of the KMS key (alias/<name>-tfstate)."
  value       = aws_kms_alias.state.name
}

output "lock_table_name" {
  description = "Name of the DynamoDB state-lock table (null with S3-native locking)."
  value       = one(aws_dynamodb_table.lock[*].name)
}

output "lock_table_arn" {
  description = "ARN of the DynamoDB state-lock table (null with S3-native locking)."
  value       = one(aws_dynamodb_table.lock[*].arn)
}

output "backend_config" {
  description = "Settings for a partial `backend \"s3\"` configuration, one `-backend-config=KEY=VALUE` per attribute (add `key` per consumer)."
  value = merge(
    {
      bucket     = aws_s3_bucket.state.id
      region     = data.aws_region.current.name
      kms_key_id = aws_kms_key.state.arn
      encrypt    = true
    },
    var.locking == "dynamodb" ? { dynamodb_table = one(aws_dynamodb_table.lock[*].name) } : { use_lockfile = true },
  )

  # Make sure consumers only get the config once every control is in place.
  depends_on = [
    aws_s3_bucket_public_access_block.state,
    aws_s3_bucket_versioning.state,
    aws_s3_bucket_server_side_encryption_configuration.state,
    aws_s3_bucket_policy.state,
    aws_s3_bucket_ownership_controls.state,
    aws_s3_bucket_lifecycle_configuration.state,
    aws_kms_alias.state,
  ]
}
