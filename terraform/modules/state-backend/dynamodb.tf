resource "aws_dynamodb_table" "lock" {
  count = var.locking == "dynamodb" ? 1 : 0

  name                        = local.lock_table_name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "LockID"
  deletion_protection_enabled = var.deletion_protection_enabled

  attribute {
    name = "LockID"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.state.arn
  }

  tags = merge(var.tags, { Name = local.lock_table_name })
}

moved {
  from = aws_dynamodb_table.lock
  to   = aws_dynamodb_table.lock[0]
}
