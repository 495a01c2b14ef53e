module "trail_key" {
  source = "../kms-key"

  alias       = "${var.name}-cloudtrail"
  description = "Encrypts the CloudTrail log files of ${local.trail_name} and their bucket"
  service_grants = [
    {
      # CloudTrail encrypts each log file with a data key; only for this account's trails, on behalf of this trail.
      sid      = "AllowCloudTrailToEncryptLogsOfThisTrail"
      services = ["cloudtrail.amazonaws.com"]
      actions  = ["kms:GenerateDataKey*"]
      conditions = [
        {
          test     = "StringLike"
          variable = "kms:EncryptionContext:aws:cloudtrail:arn"
          values   = ["arn:${local.partition}:cloudtrail:*:${local.account_id}:trail/*"]
        },
        { test = "StringEquals", variable = "aws:SourceArn", values = [local.trail_arn] },
      ]
    },
    {
      sid        = "AllowCloudTrailToDescribeTheKey"
      services   = ["cloudtrail.amazonaws.com"]
      actions    = ["kms:DescribeKey"]
      conditions = [{ test = "StringEquals", variable = "aws:SourceArn", values = [local.trail_arn] }]
    },
  ]
  deletion_window_in_days = var.kms_deletion_window_in_days
  tags                    = var.tags
}

resource "aws_s3_bucket" "trail" {
  #checkov:skip=CKV_AWS_18:This bucket is the audit destination; server access logs would need a second bucket, and reads of it are recorded by CloudTrail itself.
  #checkov:skip=CKV2_AWS_62:Nothing consumes object-created events for trail log files.
  #checkov:skip=CKV_AWS_144:Single-region copy by design; log-file validation detects tampering and versioning keeps deleted files for 30 days.
  bucket        = local.bucket_name
  force_destroy = var.force_destroy

  tags = merge(var.tags, { Name = local.bucket_name })
}

resource "aws_s3_bucket_ownership_controls" "trail" {
  bucket = aws_s3_bucket.trail.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "trail" {
  bucket = aws_s3_bucket.trail.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "trail" {
  bucket = aws_s3_bucket.trail.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "trail" {
  bucket = aws_s3_bucket.trail.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = module.trail_key.arn
    }
    bucket_key_enabled = true
  }
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.trail.arn,
      "${aws_s3_bucket.trail.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "AllowCloudTrailAclCheckForThisTrail"
    effect    = "Allow"
    actions   = ["s3:GetBucketAcl"]
    resources = [aws_s3_bucket.trail.arn]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }

  statement {
    sid       = "AllowCloudTrailWriteForThisTrail"
    effect    = "Allow"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.trail.arn}/AWSLogs/${local.account_id}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudtrail.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_arn]
    }
  }
}

resource "aws_s3_bucket_policy" "trail" {
  bucket = aws_s3_bucket.trail.id
  policy = data.aws_iam_policy_document.bucket.json

  # S3 rejects or races policy writes while public access block settings are changing.
  depends_on = [aws_s3_bucket_public_access_block.trail]
}

resource "aws_s3_bucket_lifecycle_configuration" "trail" {
  bucket = aws_s3_bucket.trail.id

  rule {
    id     = "expire-old-trail-logs"
    status = "Enabled"

    filter {}

    expiration {
      days = var.trail_log_retention_days
    }

    # Expired (and accidentally deleted) log files stay recoverable as noncurrent versions for 30 days.
    noncurrent_version_expiration {
      noncurrent_days = 30
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  # Noncurrent-version rules only take effect once versioning is on.
  depends_on = [aws_s3_bucket_versioning.trail]
}

resource "aws_cloudtrail" "this" {
  #checkov:skip=CKV2_AWS_10:Delivery to CloudWatch Logs (for metric filters) is not part of this baseline yet; GuardDuty reads the management events directly.
  #checkov:skip=CKV_AWS_252:No consumer for per-file delivery notifications; alarms go through the observability module's topic.
  name                          = local.trail_name
  s3_bucket_name                = aws_s3_bucket.trail.id
  kms_key_id                    = module.trail_key.arn
  is_multi_region_trail         = true
  include_global_service_events = true
  enable_log_file_validation    = true
  enable_logging                = true

  tags = merge(var.tags, { Name = local.trail_name })

  # CloudTrail checks at creation that it may write to the bucket and use the key.
  depends_on = [
    aws_s3_bucket_policy.trail,
    aws_s3_bucket_server_side_encryption_configuration.trail,
    aws_s3_bucket_ownership_controls.trail,
  ]
}
