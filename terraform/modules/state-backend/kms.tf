data "aws_iam_policy_document" "kms" {
  # A key policy, not an identity policy: Resource "*" in it means this key alone, and kms:* for the account
  # root is AWS's default statement that hands access to the key to IAM policies.
  #checkov:skip=CKV_AWS_109,CKV_AWS_111,CKV_AWS_356:key policy - Resource "*" is this key alone; root kms:* is AWS's default delegation to IAM
  statement {
    sid       = "EnableRootAccountPermissions"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"] # In a key policy, "*" means this key only.

    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }
}

resource "aws_kms_key" "state" {
  description             = "Encrypts Terraform remote state in s3://${var.bucket_name} and its lock table"
  key_usage               = "ENCRYPT_DECRYPT"
  enable_key_rotation     = true
  rotation_period_in_days = var.kms_rotation_period_in_days
  deletion_window_in_days = var.kms_deletion_window_in_days
  policy                  = data.aws_iam_policy_document.kms.json

  tags = merge(var.tags, { Name = "${local.name}-tfstate" })
}

resource "aws_kms_alias" "state" {
  name          = "alias/${local.name}-tfstate"
  target_key_id = aws_kms_key.state.key_id
}
