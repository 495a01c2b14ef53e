variable "name" {
  description = "Short name of the platform instance: prefixes the key alias, the alarm topic and every alarm name."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2-32 characters of lowercase letters, digits and hyphens, and must not start or end with a hyphen."
  }
}

variable "log_groups" {
  description = "CloudWatch log groups to create, key => log group name (e.g. application = \"/aws/eks/acme-dev/application\"). Each is retained log_retention_in_days and encrypted with the module's key."
  type        = map(string)
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.log_groups) : can(regex("^[a-z0-9][a-z0-9_-]{0,62}$", k))])
    error_message = "log_groups keys must be 1-63 characters of lowercase letters, digits, '_' or '-', starting with a letter or digit."
  }

  validation {
    condition     = alltrue([for n in values(var.log_groups) : can(regex("^[A-Za-z0-9_./#-]{1,512}$", n)) && !startswith(n, "aws/")])
    error_message = "log_groups names must be 1-512 characters of letters, digits, '_', '-', '/', '.' or '#', and must not start with 'aws/' (reserved)."
  }

  validation {
    condition     = length(distinct(values(var.log_groups))) == length(var.log_groups)
    error_message = "log_groups must not name the same log group twice."
  }
}

variable "log_retention_in_days" {
  description = "Days every log group keeps its events."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be a CloudWatch Logs retention value of at least a year: 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "cluster_name" {
  description = "EKS cluster that runs the node groups in node_group_names."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$", var.cluster_name))
    error_message = "cluster_name must be 1-100 characters of letters, digits, '-' or '_', starting with a letter or digit."
  }
}

variable "node_group_names" {
  description = "EKS managed node groups to alarm on, key => node group name. The node groups must exist when the plan reads them: pass the eks module's output and give the module call depends_on on the eks module."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.node_group_names) : can(regex("^[a-z0-9][a-z0-9_-]{0,62}$", k))])
    error_message = "node_group_names keys must be 1-63 characters of lowercase letters, digits, '_' or '-', starting with a letter or digit."
  }

  validation {
    condition     = alltrue([for n in values(var.node_group_names) : can(regex("^[0-9A-Za-z][A-Za-z0-9_-]{0,62}$", n))])
    error_message = "node_group_names values must be EKS node group names: 1-63 characters of letters, digits, '-' or '_', starting with a letter or digit."
  }
}

variable "db_instance_identifier" {
  description = "RDS DB instance to alarm on (CPU, free storage, connections). null creates no database alarms."
  type        = string
  default     = null

  validation {
    condition = var.db_instance_identifier == null || (
      can(regex("^[a-z][a-z0-9-]{0,62}$", coalesce(var.db_instance_identifier, "x"))) &&
      !can(regex("--|-$", coalesce(var.db_instance_identifier, "x")))
    )
    error_message = "db_instance_identifier must be an RDS identifier: 1-63 lowercase letters, digits or hyphens, starting with a letter, without two hyphens in a row or a trailing hyphen."
  }
}

variable "db_cpu_threshold_percent" {
  description = "Average DB CPU utilisation, in percent, above which the database CPU alarm fires."
  type        = number
  default     = 80
  nullable    = false

  validation {
    condition     = var.db_cpu_threshold_percent > 0 && var.db_cpu_threshold_percent < 100
    error_message = "db_cpu_threshold_percent must be between 0 and 100 (exclusive)."
  }
}

variable "db_free_storage_threshold_bytes" {
  description = "Free storage, in bytes, below which the database storage alarm fires (default 5 GiB)."
  type        = number
  default     = 5368709120
  nullable    = false

  validation {
    condition     = var.db_free_storage_threshold_bytes >= 1073741824 && floor(var.db_free_storage_threshold_bytes) == var.db_free_storage_threshold_bytes
    error_message = "db_free_storage_threshold_bytes must be a whole number of bytes, at least 1 GiB (1073741824)."
  }
}

variable "db_connections_threshold" {
  description = "Number of open database connections above which the connections alarm fires."
  type        = number
  default     = 200
  nullable    = false

  validation {
    condition     = var.db_connections_threshold >= 1 && floor(var.db_connections_threshold) == var.db_connections_threshold
    error_message = "db_connections_threshold must be a whole number >= 1."
  }
}

variable "node_cpu_threshold_percent" {
  description = "Average CPU utilisation of a node group's instances, in percent, above which its CPU alarm fires."
  type        = number
  default     = 80
  nullable    = false

  validation {
    condition     = var.node_cpu_threshold_percent > 0 && var.node_cpu_threshold_percent < 100
    error_message = "node_cpu_threshold_percent must be between 0 and 100 (exclusive)."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period, in days, before the module's KMS key is deleted after it is scheduled for deletion."
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
