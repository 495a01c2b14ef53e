variable "name" {
  description = "Name of the platform instance, e.g. acme-dev: prefixes every resource and names the EKS cluster."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,22}[a-z0-9]$", var.name))
    error_message = "name must be 3-24 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen (it prefixes names with tight limits, e.g. RDS identifiers)."
  }
}

variable "environment" {
  description = "Which environment this is; production-only guarantees (Multi-AZ, deletion protection, two NAT gateways or more) are enforced when it is \"prod\"."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be \"dev\", \"staging\" or \"prod\"."
  }
}

variable "azs" {
  description = "Availability zones of the VPC, named explicitly so the platform never spreads into a zone AWS adds later."
  type        = list(string)
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC (/16 to /23)."
  type        = string
}

variable "nat_gateway_mode" {
  description = "\"one_per_az\" or \"single\" (cheap environments)."
  type        = string
}

variable "kubernetes_version" {
  description = "EKS Kubernetes version."
  type        = string
}

variable "endpoint_public_access" {
  description = "Whether the EKS API endpoint is reachable from the internet (only from public_access_cidrs)."
  type        = bool
  default     = false
  nullable    = false
}

variable "public_access_cidrs" {
  description = "CIDRs allowed to reach a public EKS endpoint."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "node_groups" {
  description = "Managed node groups, passed to the eks module."
  type = map(object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
    disk_size_gb   = optional(number, 50)
    capacity_type  = optional(string, "ON_DEMAND")
    labels         = optional(map(string), {})
  }))
}

variable "database" {
  description = "The PostgreSQL instance's size and safety settings."
  type = object({
    instance_class          = string
    allocated_storage       = number
    max_allocated_storage   = number
    multi_az                = bool
    deletion_protection     = bool
    backup_retention_period = number
    skip_final_snapshot     = bool
  })

  validation {
    condition     = var.environment != "prod" || (var.database.multi_az && var.database.deletion_protection && !var.database.skip_final_snapshot && var.database.backup_retention_period >= 14)
    error_message = "In prod the database must be Multi-AZ, deletion-protected, keep a final snapshot and retain backups for at least 14 days."
  }
}

variable "ecr_repositories" {
  description = "Image repositories of the platform's services."
  type        = list(string)
}

variable "log_retention_in_days" {
  description = "Retention of every CloudWatch log group the platform creates (flow logs, EKS, RDS, application)."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = var.log_retention_in_days >= 365
    error_message = "log_retention_in_days must be at least 365: the platform's log retention policy is one year (STRATA-LOGS-001)."
  }
}

variable "trail_log_retention_days" {
  description = "Days CloudTrail log files are kept in the trail bucket."
  type        = number
  default     = 365
  nullable    = false
}

variable "disposable" {
  description = "True for environments that may be destroyed with their data (buckets emptied on destroy, shortest KMS deletion window). Refused for prod."
  type        = bool
  default     = false
  nullable    = false

  validation {
    condition     = !(var.disposable && var.environment == "prod")
    error_message = "prod cannot be disposable."
  }
}

variable "tags" {
  description = "Tags the modules add to their resources (the environment's provider default_tags carry the common ones)."
  type        = map(string)
  default     = {}
  nullable    = false
}
