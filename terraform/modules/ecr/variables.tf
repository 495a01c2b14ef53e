variable "name" {
  description = "Prefix of every repository name (<name>/<repository>) and of the key alias."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*$", var.name)) && length(var.name) <= 64
    error_message = "name must be at most 64 characters of lowercase letters and digits, separated by single '.', '_' or '-'."
  }
}

variable "repositories" {
  description = "Repository names under the prefix, one ECR repository each, e.g. [\"orders\", \"payments/api\"]."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.repositories) >= 1 && length(distinct(var.repositories)) == length(var.repositories)
    error_message = "repositories must list at least one name, each once."
  }

  validation {
    condition = alltrue([
      for r in var.repositories :
      can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", r)) && length(r) <= 190
    ])
    error_message = "each repository must be lowercase letters and digits, separated by single '.', '_', '-' or '/', at most 190 characters."
  }
}

variable "keep_last_images" {
  description = "How many of the most recent images each repository keeps; older ones are expired."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.keep_last_images >= 1 && var.keep_last_images <= 1000 && floor(var.keep_last_images) == var.keep_last_images
    error_message = "keep_last_images must be a whole number between 1 and 1000."
  }
}

variable "untagged_expire_days" {
  description = "Days after its push an untagged image is expired."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.untagged_expire_days >= 1 && var.untagged_expire_days <= 365 && floor(var.untagged_expire_days) == var.untagged_expire_days
    error_message = "untagged_expire_days must be a whole number between 1 and 365."
  }
}

variable "force_delete" {
  description = "Let destroy delete repositories that still hold images. Only for throwaway registries: production keeps false."
  type        = bool
  default     = false
  nullable    = false
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period, in days, before the repositories' KMS key is deleted after it is scheduled for deletion."
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
