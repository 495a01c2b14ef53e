data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id

  trail_name  = "${var.name}-trail"
  bucket_name = "${var.name}-cloudtrail-${local.account_id}"
  # Built from its parts, not read from the trail: the key and bucket policies need it before the trail exists.
  trail_arn = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"
}

# --- GuardDuty: one detector per account and region ------------------------------------------------------

resource "aws_guardduty_detector" "this" {
  #checkov:skip=CKV2_AWS_3:The platform runs in a single account without an AWS Organization; the module enables the detector in every region it is applied to.
  enable                       = true
  finding_publishing_frequency = "FIFTEEN_MINUTES"

  tags = merge(var.tags, { Name = var.name })
}

# Findings from the EKS control-plane audit log and from the runtime agent on the nodes (installed and kept
# up to date by GuardDuty as an EKS add-on).
resource "aws_guardduty_detector_feature" "eks_audit_logs" {
  detector_id = aws_guardduty_detector.this.id
  name        = "EKS_AUDIT_LOGS"
  status      = "ENABLED"
}

resource "aws_guardduty_detector_feature" "runtime_monitoring" {
  detector_id = aws_guardduty_detector.this.id
  name        = "RUNTIME_MONITORING"
  status      = "ENABLED"

  additional_configuration {
    name   = "EKS_ADDON_MANAGEMENT"
    status = "ENABLED"
  }

  # GuardDuty applies feature updates one at a time per detector.
  depends_on = [aws_guardduty_detector_feature.eks_audit_logs]
}

# --- EBS: every new volume in the region is encrypted, by default with the module's key ---------------------

module "ebs_key" {
  source = "../kms-key"

  alias                   = "${var.name}-ebs-default"
  description             = "Default key for new EBS volumes of the ${var.name} account in ${local.region}"
  deletion_window_in_days = var.kms_deletion_window_in_days
  tags                    = var.tags
}

resource "aws_ebs_encryption_by_default" "this" {
  enabled = true
}

resource "aws_ebs_default_kms_key" "this" {
  key_arn = module.ebs_key.arn
}

# --- IAM account password policy -----------------------------------------------------------------------------

resource "aws_iam_account_password_policy" "this" {
  #checkov:skip=CKV_AWS_9:max_password_age comes from var.password_policy, whose validation requires 1-90 days (Checkov does not evaluate optional() defaults).
  #checkov:skip=CKV_AWS_11:require_lowercase_characters comes from var.password_policy, whose validation requires true.
  #checkov:skip=CKV_AWS_12:require_numbers comes from var.password_policy, whose validation requires true.
  #checkov:skip=CKV_AWS_14:require_symbols comes from var.password_policy, whose validation requires true.
  #checkov:skip=CKV_AWS_15:require_uppercase_characters comes from var.password_policy, whose validation requires true.
  minimum_password_length        = var.password_policy.minimum_password_length
  require_lowercase_characters   = var.password_policy.require_lowercase_characters
  require_uppercase_characters   = var.password_policy.require_uppercase_characters
  require_numbers                = var.password_policy.require_numbers
  require_symbols                = var.password_policy.require_symbols
  password_reuse_prevention      = var.password_policy.password_reuse_prevention
  max_password_age               = var.password_policy.max_password_age
  allow_users_to_change_password = var.password_policy.allow_users_to_change_password
  hard_expiry                    = var.password_policy.hard_expiry
}
