variable "alias" {
  description = "Alias of the key without the alias/ prefix, e.g. acme-dev-eks-secrets."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,250}$", var.alias)) && !startswith(var.alias, "aws/")
    error_message = "alias must be 1-250 characters of letters, digits, '/', '_' or '-', and must not start with 'aws/' (reserved for AWS-managed keys)."
  }
}

variable "description" {
  description = "What the key encrypts: shown in the KMS console and in CloudTrail."
  type        = string

  validation {
    condition     = length(var.description) > 0 && length(var.description) <= 8192
    error_message = "description must be 1-8192 characters."
  }
}

variable "service_grants" {
  description = <<-EOT
    AWS services allowed to use the key, one statement each: `services` are service principals
    (e.g. logs.us-east-1.amazonaws.com), `actions` the kms: actions they need, and `conditions` narrow use to
    the caller's own resources (confused-deputy protection). The account root always administers the key.
  EOT
  type = list(object({
    sid      = string
    services = list(string)
    actions  = list(string)
    conditions = optional(list(object({
      test     = string
      variable = string
      values   = list(string)
    })), [])
  }))
  default  = []
  nullable = false

  validation {
    condition = alltrue([
      for g in var.service_grants :
      length(g.services) > 0 && length(g.actions) > 0 && alltrue([for a in g.actions : startswith(a, "kms:") && a != "kms:*"])
    ])
    error_message = "each service grant needs at least one service and one action; actions must be kms: actions, never \"kms:*\"."
  }

  validation {
    condition     = length(distinct([for g in var.service_grants : g.sid])) == length(var.service_grants)
    error_message = "service grant sids must be unique."
  }
}

variable "deletion_window_in_days" {
  description = "Waiting period, in days, before the key is deleted after it is scheduled for deletion."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.deletion_window_in_days >= 7 && var.deletion_window_in_days <= 30 && floor(var.deletion_window_in_days) == var.deletion_window_in_days
    error_message = "deletion_window_in_days must be a whole number between 7 and 30."
  }
}

variable "rotation_period_in_days" {
  description = "Automatic rotation period of the key, in days (rotation is always on)."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.rotation_period_in_days >= 90 && var.rotation_period_in_days <= 2560 && floor(var.rotation_period_in_days) == var.rotation_period_in_days
    error_message = "rotation_period_in_days must be a whole number between 90 and 2560."
  }
}

variable "tags" {
  description = "Tags applied to the key."
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
