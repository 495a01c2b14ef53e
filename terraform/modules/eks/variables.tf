variable "name" {
  description = "Name of the EKS cluster; also the prefix of its IAM roles, key aliases, launch templates and node groups."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2-32 characters of lowercase letters, digits and hyphens, and must not start or end with a hyphen (it prefixes IAM role names, which are limited to 64 characters)."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version of the control plane and the node groups; only versions in standard support are accepted."
  type        = string
  default     = "1.32"
  nullable    = false

  validation {
    condition     = contains(["1.30", "1.31", "1.32", "1.33"], var.kubernetes_version)
    error_message = "kubernetes_version must be one of 1.30, 1.31, 1.32, 1.33 (versions in EKS standard support)."
  }
}

variable "vpc_id" {
  description = "VPC of the cluster: the one subnet_ids belong to. The cluster's additional security group is created in it."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC id such as vpc-0123456789abcdef0."
  }
}

variable "subnet_ids" {
  description = "Private subnets for the control-plane network interfaces and the nodes, in at least two availability zones."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.subnet_ids) >= 2 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", s))])
    error_message = "subnet_ids must list at least two subnet ids such as subnet-0123456789abcdef0 (EKS needs subnets in two zones)."
  }

  validation {
    condition     = length(distinct(var.subnet_ids)) == length(var.subnet_ids)
    error_message = "subnet_ids must not list a subnet twice."
  }
}

variable "endpoint_public_access" {
  description = "Expose the Kubernetes API endpoint publicly as well, to public_access_cidrs only. The private endpoint is always on."
  type        = bool
  default     = false
  nullable    = false
}

variable "public_access_cidrs" {
  description = "IPv4 networks allowed to reach the public API endpoint; required when endpoint_public_access is true, ignored otherwise."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition = alltrue([
      for c in var.public_access_cidrs : try(
        cidrhost(c, 0) == split("/", c)[0] && can(cidrnetmask(c)) && tonumber(split("/", c)[1]) >= 8,
        false
      )
    ])
    error_message = "public_access_cidrs must be IPv4 network addresses in CIDR notation with a prefix of /8 or longer; 0.0.0.0/0 (the whole internet) is never allowed."
  }

  validation {
    condition     = !var.endpoint_public_access || length(var.public_access_cidrs) > 0
    error_message = "public_access_cidrs must list at least one network when endpoint_public_access is true: an empty list makes EKS open the endpoint to 0.0.0.0/0."
  }
}

variable "node_groups" {
  description = <<-EOT
    Managed node groups by short name (the group is named <name>-<key>). Each runs on its own launch template
    (IMDSv2 only, encrypted gp3 root volume of disk_size_gb). min_size <= desired_size <= max_size.
  EOT
  type = map(object({
    instance_types = list(string)
    min_size       = number
    max_size       = number
    desired_size   = number
    disk_size_gb   = optional(number, 50)
    capacity_type  = optional(string, "ON_DEMAND")
    labels         = optional(map(string), {})
  }))
  nullable = false

  validation {
    condition     = length(var.node_groups) >= 1 && alltrue([for k in keys(var.node_groups) : can(regex("^[a-z0-9]([a-z0-9-]{0,28}[a-z0-9])?$", k))])
    error_message = "node_groups must hold at least one group; keys must be 1-30 characters of lowercase letters, digits and hyphens, not starting or ending with a hyphen."
  }

  validation {
    condition = alltrue([
      for g in values(var.node_groups) :
      g.min_size >= 0 && g.max_size >= 1 && g.min_size <= g.desired_size && g.desired_size <= g.max_size &&
      floor(g.min_size) == g.min_size && floor(g.max_size) == g.max_size && floor(g.desired_size) == g.desired_size
    ])
    error_message = "each node group needs whole numbers with 0 <= min_size <= desired_size <= max_size and max_size >= 1."
  }

  validation {
    condition = alltrue([
      for g in values(var.node_groups) :
      length(g.instance_types) >= 1 && alltrue([for t in g.instance_types : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", t))])
    ])
    error_message = "each node group needs at least one instance type such as m6i.large."
  }

  validation {
    condition = alltrue([
      for g in values(var.node_groups) :
      g.disk_size_gb >= 20 && g.disk_size_gb <= 16384 && floor(g.disk_size_gb) == g.disk_size_gb
    ])
    error_message = "disk_size_gb must be a whole number of GiB between 20 and 16384."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : contains(["ON_DEMAND", "SPOT"], g.capacity_type)])
    error_message = "capacity_type must be \"ON_DEMAND\" or \"SPOT\"."
  }
}

variable "addons" {
  description = "EKS add-ons by name; version null lets EKS pick the default version for the cluster's Kubernetes version."
  type = map(object({
    version = optional(string)
  }))
  default = {
    vpc-cni    = {}
    coredns    = {}
    kube-proxy = {}
  }
  nullable = false

  validation {
    condition     = alltrue([for k in keys(var.addons) : can(regex("^[a-z0-9][a-z0-9-]{0,99}$", k))])
    error_message = "add-on names must be lowercase letters, digits and hyphens, e.g. vpc-cni."
  }

  validation {
    condition     = alltrue([for a in values(var.addons) : a.version == null || can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+-eksbuild\\.[0-9]+$", coalesce(a.version, "x")))])
    error_message = "an add-on version must look like v1.19.2-eksbuild.1, or be null."
  }
}

variable "cluster_log_retention_in_days" {
  description = "Days the control-plane log group /aws/eks/<name>/cluster keeps events."
  type        = number
  default     = 365
  nullable    = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.cluster_log_retention_in_days)
    error_message = "cluster_log_retention_in_days must be one of CloudWatch Logs' retention values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "log_shipper_namespace" {
  description = "Kubernetes namespace of the log shipper's service account (pinned in its IRSA role's trust)."
  type        = string
  default     = "logging"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", var.log_shipper_namespace))
    error_message = "log_shipper_namespace must be a Kubernetes namespace name: 1-63 lowercase letters, digits and hyphens."
  }
}

variable "log_shipper_service_account" {
  description = "Name of the log shipper's Kubernetes service account (pinned in its IRSA role's trust)."
  type        = string
  default     = "log-shipper"
  nullable    = false

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$", var.log_shipper_service_account))
    error_message = "log_shipper_service_account must be a Kubernetes object name: 1-253 lowercase letters, digits, '-' and '.'."
  }
}

variable "log_shipper_log_group_names" {
  description = "CloudWatch log groups the log shipper may write to (streams and events only: the groups are created by Terraform, with retention and a key)."
  type        = list(string)
  nullable    = false

  validation {
    condition     = length(var.log_shipper_log_group_names) >= 1 && alltrue([for n in var.log_shipper_log_group_names : can(regex("^[A-Za-z0-9_./#-]{1,512}$", n))])
    error_message = "log_shipper_log_group_names must list at least one log group name of 1-512 characters from [A-Za-z0-9_./#-] (no wildcards)."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period, in days, before the module's KMS keys are deleted after being scheduled for deletion."
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
