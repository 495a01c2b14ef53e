variable "name" {
  description = "Name of the database: the DB instance identifier, and the prefix of its subnet group, parameter group, security group and key alias."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,46}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 2-48 characters of lowercase letters, digits and hyphens, start with a letter, not end with a hyphen and not contain two hyphens in a row (RDS identifier rules, with room for suffixes)."
  }
}

variable "vpc_id" {
  description = "VPC the database's security group is created in: the VPC of subnet_ids."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC id such as vpc-0123456789abcdef0."
  }
}

variable "subnet_ids" {
  description = "Private subnets of the DB subnet group, in at least two availability zones (RDS requires two; Multi-AZ places the standby in another zone)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) >= 2 && length(distinct(var.subnet_ids)) == length(var.subnet_ids)
    error_message = "subnet_ids must list at least two distinct subnets."
  }

  validation {
    condition     = alltrue([for id in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
    error_message = "subnet_ids must be subnet ids such as subnet-0123456789abcdef0."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups whose members may connect on 5432. The only ingress the database gets: no CIDR rule exists. Empty means nothing can connect."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.allowed_security_group_ids) <= 50 && length(distinct(var.allowed_security_group_ids)) == length(var.allowed_security_group_ids)
    error_message = "allowed_security_group_ids must list at most 50 distinct security groups."
  }

  validation {
    condition     = alltrue([for id in var.allowed_security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", id))])
    error_message = "allowed_security_group_ids must be security group ids such as sg-0123456789abcdef0 (CIDR blocks are not accepted)."
  }
}

variable "engine_version" {
  description = "PostgreSQL 16 minor version, e.g. \"16.4\". The parameter group family is postgres16; a major upgrade is a planned migration with a new parameter group, not a variable change."
  type        = string
  default     = "16.4"
  nullable    = false

  validation {
    condition     = can(regex("^16\\.[0-9]{1,2}$", var.engine_version))
    error_message = "engine_version must be a PostgreSQL 16 minor version such as \"16.4\"."
  }
}

variable "instance_class" {
  description = "DB instance class, e.g. db.t4g.medium."
  type        = string
  default     = "db.t4g.medium"
  nullable    = false

  validation {
    condition     = can(regex("^db\\.[a-z0-9-]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must be an RDS instance class such as db.t4g.medium."
  }
}

variable "allocated_storage" {
  description = "Initial gp3 storage in GiB."
  type        = number
  default     = 20
  nullable    = false

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536 && floor(var.allocated_storage) == var.allocated_storage
    error_message = "allocated_storage must be a whole number of GiB between 20 and 65536."
  }
}

variable "max_allocated_storage" {
  description = "Upper limit, in GiB, for storage autoscaling; must be at least allocated_storage."
  type        = number
  default     = 100
  nullable    = false

  validation {
    condition     = var.max_allocated_storage >= 20 && var.max_allocated_storage <= 65536 && floor(var.max_allocated_storage) == var.max_allocated_storage
    error_message = "max_allocated_storage must be a whole number of GiB between 20 and 65536."
  }
}

variable "multi_az" {
  description = "Keep a synchronous standby in another availability zone. Required for staging and production (STRATA-RDS-002)."
  type        = bool
  default     = true
  nullable    = false
}

variable "deletion_protection" {
  description = "Refuse to delete the instance until this is turned off."
  type        = bool
  default     = true
  nullable    = false
}

variable "backup_retention_period" {
  description = "Days automated backups are kept."
  type        = number
  default     = 7
  nullable    = false

  validation {
    condition     = var.backup_retention_period >= 7 && var.backup_retention_period <= 35 && floor(var.backup_retention_period) == var.backup_retention_period
    error_message = "backup_retention_period must be a whole number of days between 7 and 35."
  }
}

variable "backup_window" {
  description = "Daily UTC window for automated backups, hh24:mi-hh24:mi, at least 30 minutes, not overlapping maintenance_window."
  type        = string
  default     = "03:00-04:00"
  nullable    = false

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_window))
    error_message = "backup_window must be hh24:mi-hh24:mi in UTC, e.g. \"03:00-04:00\"."
  }
}

variable "maintenance_window" {
  description = "Weekly UTC window for maintenance such as minor version upgrades, ddd:hh24:mi-ddd:hh24:mi."
  type        = string
  default     = "sun:04:30-sun:05:30"
  nullable    = false

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must be ddd:hh24:mi-ddd:hh24:mi in UTC, e.g. \"sun:04:30-sun:05:30\"."
  }
}

variable "skip_final_snapshot" {
  description = "Delete the instance without a final snapshot. Only for throwaway databases: production keeps false."
  type        = bool
  default     = false
  nullable    = false
}

variable "log_retention_in_days" {
  description = "Days the CloudWatch log groups keep the exported PostgreSQL and upgrade logs."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of CloudWatch Logs' retention values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period, in days, before the database's KMS key is deleted after it is scheduled for deletion."
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
