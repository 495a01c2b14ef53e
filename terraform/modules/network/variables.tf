variable "name" {
  description = "Short name of the network, used in Name tags and in the names of the flow-log group, role and key alias."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2-32 characters of lowercase letters, digits and hyphens, and must not start or end with a hyphen."
  }
}

variable "cidr" {
  description = "IPv4 CIDR block of the VPC, /16 to /23. Subnets are carved from it with cidrsubnet."
  type        = string

  validation {
    condition = try(
      cidrhost(var.cidr, 0) == split("/", var.cidr)[0] &&
      can(cidrnetmask(var.cidr)) &&
      tonumber(split("/", var.cidr)[1]) >= 16 &&
      tonumber(split("/", var.cidr)[1]) <= 23,
      false
    )
    error_message = "cidr must be an IPv4 network address in CIDR notation (e.g. 10.42.0.0/16) with a prefix length from /16 to /23, so the smallest subnet is at least /28."
  }
}

variable "azs" {
  description = "Availability zones to spread the subnets over, one public and one private subnet per zone."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.azs) >= 2 && length(var.azs) <= 6
    error_message = "azs must list between 2 and 6 availability zones."
  }

  validation {
    condition     = length(distinct(var.azs)) == length(var.azs)
    error_message = "azs must not list an availability zone twice."
  }
}

variable "nat_gateway_mode" {
  description = "\"one_per_az\": a NAT gateway in each zone (no cross-zone dependency); \"single\": one NAT gateway shared by every private subnet (cheaper, one zone's outage cuts egress)."
  type        = string
  default     = "one_per_az"
  nullable    = false

  validation {
    condition     = contains(["one_per_az", "single"], var.nat_gateway_mode)
    error_message = "nat_gateway_mode must be \"one_per_az\" or \"single\"."
  }
}

variable "cluster_name" {
  description = "EKS cluster that shares the subnets: adds kubernetes.io/cluster/<cluster_name> = shared to them. null adds nothing."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_name == null || can(regex("^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", coalesce(var.cluster_name, "x")))
    error_message = "cluster_name must be 1-100 characters of letters, digits, '-' or '_', starting with a letter or digit."
  }
}

variable "flow_log_retention_in_days" {
  description = "Days the CloudWatch log group keeps VPC flow log records."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_in_days)
    error_message = "flow_log_retention_in_days must be one of CloudWatch Logs' retention values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period, in days, before the flow-log KMS key is deleted after it is scheduled for deletion."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30 && floor(var.kms_deletion_window_in_days) == var.kms_deletion_window_in_days
    error_message = "kms_deletion_window_in_days must be a whole number between 7 and 30."
  }
}

variable "kms_rotation_period_in_days" {
  description = "Automatic rotation period of the flow-log KMS key, in days."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.kms_rotation_period_in_days >= 90 && var.kms_rotation_period_in_days <= 2560 && floor(var.kms_rotation_period_in_days) == var.kms_rotation_period_in_days
    error_message = "kms_rotation_period_in_days must be a whole number between 90 and 2560."
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
