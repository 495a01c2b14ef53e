output "vpc_id" {
  description = "ID of the VPC."
  value       = module.network.vpc_id
}

output "private_subnet_ids" {
  description = "Private subnets (EKS nodes, RDS)."
  value       = module.network.private_subnet_ids
}

output "flow_log_group_name" {
  description = "Log group of the VPC flow logs."
  value       = module.network.flow_log_group_name
}

output "eks" {
  description = "Everything the eks module exposes (cluster, node groups, launch templates, OIDC, IRSA roles, key)."
  value       = module.eks
}

output "rds" {
  description = "Everything the rds module exposes (instance, security group, parameter group, key, secret)."
  value       = module.rds
}

output "ecr" {
  description = "Repository names, URLs and ARNs, and the key."
  value       = module.ecr
}

output "observability" {
  description = "Alarm topic, log groups and alarm names."
  value       = module.observability
}

output "security_baseline" {
  description = "GuardDuty detector, CloudTrail trail and bucket, keys."
  value       = module.security_baseline
}
