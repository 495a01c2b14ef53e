variable "bucket_name" {
  description = "Name of the S3 bucket that stores Terraform state. Must be globally unique."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be 3-63 characters of lowercase letters, digits and hyphens, and must not start or end with a hyphen."
  }

  validation {
    condition = !(
      startswith(var.bucket_name, "xn--") ||
      startswith(var.bucket_name, "sthree-") ||
      endswith(var.bucket_name, "-s3alias") ||
      endswith(var.bucket_name, "--ol-s3") ||
      endswith(var.bucket_name, "--x-s3")
    )
    error_message = "bucket_name must not use a prefix (xn--, sthree-) or suffix (-s3alias, --ol-s3, --x-s3) that S3 reserves."
  }
}

variable "name" {
  description = "Short name used for the KMS alias (alias/<name>-tfstate). Defaults to bucket_name."
  type        = string
  default     = null

  validation {
    condition = var.name == null || (
      can(regex("^[a-zA-Z0-9/_-]{1,242}$", var.name)) &&
      !startswith(lower(coalesce(var.name, "x")), "aws/")
    )
    error_message = "name must be 1-242 characters of letters, digits, '/', '_' or '-', and must not start with 'aws/' (reserved for AWS managed keys)."
  }
}

variable "force_destroy" {
  description = "Allow destroying the state bucket while it still holds objects. Keep false outside tests."
  type        = bool
  default     = false
  nullable    = false
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent (superseded) state object versions are deleted."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number >= 1."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period, in days, before the KMS key is deleted after it is scheduled for deletion."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30 && floor(var.kms_deletion_window_in_days) == var.kms_deletion_window_in_days
    error_message = "kms_deletion_window_in_days must be a whole number between 7 and 30."
  }
}

variable "kms_rotation_period_in_days" {
  description = "Automatic rotation period of the KMS key, in days."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.kms_rotation_period_in_days >= 90 && var.kms_rotation_period_in_days <= 2560 && floor(var.kms_rotation_period_in_days) == var.kms_rotation_period_in_days
    error_message = "kms_rotation_period_in_days must be a whole number between 90 and 2560."
  }
}

variable "lock_table_name" {
  description = "Name of the DynamoDB state-lock table. Defaults to \"<bucket_name>-lock\"."
  type        = string
  default     = null

  validation {
    condition     = var.lock_table_name == null || can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.lock_table_name))
    error_message = "lock_table_name must be 3-255 characters of letters, digits, '_', '.' or '-'."
  }
}

variable "locking" {
  description = "How consumers lock state: \"dynamodb\" (a lock table, the long-standing way) or \"lockfile\" (S3-native locking, Terraform >= 1.10: no table is created)."
  type        = string
  default     = "dynamodb"
  nullable    = false

  validation {
    condition     = contains(["dynamodb", "lockfile"], var.locking)
    error_message = "locking must be \"dynamodb\" or \"lockfile\"."
  }
}

variable "deletion_protection_enabled" {
  description = "Enable deletion protection on the DynamoDB lock table. Keep true outside tests."
  type        = bool
  default     = true
  nullable    = false
}

variable "tags" {
  description = "Tags applied to every taggable resource."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition = alltrue([
      for k, v in var.tags :
      length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")
    ])
    error_message = "Tag keys must be 1-128 characters and must not start with 'aws:'; tag values must be at most 256 characters."
  }
}
