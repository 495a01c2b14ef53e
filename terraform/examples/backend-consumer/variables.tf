variable "parameter_name" {
  description = "Name of the SSM parameter this example writes (a path such as /stratatest/backend-consumer/canary)."
  type        = string
  default     = "/stratatest/backend-consumer/canary"
  nullable    = false

  validation {
    condition = (
      can(regex("^/[a-zA-Z0-9_.\\-/]{1,949}$", var.parameter_name)) &&
      !can(regex("(?i)^/(aws|ssm)", var.parameter_name)) &&
      !endswith(var.parameter_name, "/") &&
      length(regexall("/", var.parameter_name)) <= 15
    )
    error_message = "parameter_name must be an absolute path (at most 950 characters) of letters, digits and _ . - /, at most 15 levels deep, not ending with '/', and must not start with the reserved '/aws' or '/ssm' prefixes."
  }
}

variable "parameter_value" {
  description = "Value stored in the SSM parameter."
  type        = string
  default     = "backend-consumer-ok"
  nullable    = false

  validation {
    condition     = length(var.parameter_value) >= 1 && length(var.parameter_value) <= 4096
    error_message = "parameter_value must be 1-4096 characters (standard-tier limit)."
  }
}

variable "tags" {
  description = "Tags applied to the parameter."
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
