output "guardduty_detector_id" {
  description = "ID of the GuardDuty detector of this account and region."
  value       = aws_guardduty_detector.this.id
}

output "cloudtrail_arn" {
  description = "ARN of the multi-region trail."
  value       = aws_cloudtrail.this.arn
}

output "cloudtrail_name" {
  description = "Name of the multi-region trail (<name>-trail)."
  value       = aws_cloudtrail.this.name
}

output "cloudtrail_bucket_name" {
  description = "Name of the S3 bucket that receives the trail's log files (<name>-cloudtrail-<account id>)."
  value       = aws_s3_bucket.trail.id
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts the trail's log files and its bucket."
  value       = module.trail_key.arn
}

output "ebs_kms_key_arn" {
  description = "ARN of the KMS key new EBS volumes of the region are encrypted with by default."
  value       = aws_ebs_default_kms_key.this.key_arn
}
