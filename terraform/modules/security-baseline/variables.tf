variable "name" {
  description = "Short name of the platform instance: names the trail, its bucket (<name>-cloudtrail-<account id>) and the key aliases."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2-32 characters of lowercase letters, digits and hyphens, and must not start or end with a hyphen."
  }
}

variable "trail_log_retention_days" {
  description = "Days CloudTrail log files are kept in the trail bucket before they expire (at least a year)."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.trail_log_retention_days >= 365 && var.trail_log_retention_days <= 3653 && floor(var.trail_log_retention_days) == var.trail_log_retention_days
    error_message = "trail_log_retention_days must be a whole number of days between 365 and 3653: audit logs are kept at least a year."
  }
}

variable "force_destroy" {
  description = "Allow destroying the trail bucket while it still holds log files. Keep false outside disposable environments."
  type        = bool
  default     = false
  nullable    = false
}

variable "password_policy" {
  description = "Account password policy for IAM users; every attribute defaults to the baseline and may only be made stricter."
  type = object({
    minimum_password_length        = optional(number, 14)
    require_lowercase_characters   = optional(bool, true)
    require_uppercase_characters   = optional(bool, true)
    require_numbers                = optional(bool, true)
    require_symbols                = optional(bool, true)
    password_reuse_prevention      = optional(number, 24)
    max_password_age               = optional(number, 90)
    allow_users_to_change_password = optional(bool, true)
    hard_expiry                    = optional(bool, false)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.password_policy.minimum_password_length >= 14 && var.password_policy.minimum_password_length <= 128 && floor(var.password_policy.minimum_password_length) == var.password_policy.minimum_password_length
    error_message = "password_policy.minimum_password_length must be a whole number between 14 and 128."
  }

  validation {
    condition = alltrue([
      var.password_policy.require_lowercase_characters,
      var.password_policy.require_uppercase_characters,
      var.password_policy.require_numbers,
      var.password_policy.require_symbols,
    ])
    error_message = "password_policy must require lowercase letters, uppercase letters, numbers and symbols."
  }

  validation {
    condition     = var.password_policy.password_reuse_prevention == 24
    error_message = "password_policy.password_reuse_prevention must be 24 (the most IAM remembers)."
  }

  validation {
    condition     = var.password_policy.max_password_age >= 1 && var.password_policy.max_password_age <= 90 && floor(var.password_policy.max_password_age) == var.password_policy.max_password_age
    error_message = "password_policy.max_password_age must be a whole number of days between 1 and 90."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period, in days, before the module's KMS keys are deleted after they are scheduled for deletion."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30 && floor(var.kms_deletion_window_in_days) == var.kms_deletion_window_in_days
    error_message = "kms_deletion_window_in_days must be a whole number between 7 and 30."
  }
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
