locals {
  kms_deletion_window = var.disposable ? 7 : 30

  # Named here, created by observability, written to by the log shipper's IRSA role in eks.
  application_log_groups = {
    application = "/aws/eks/${var.name}/application"
    host        = "/aws/eks/${var.name}/host"
  }
}

module "network" {
  source = "../network"

  name                        = var.name
  cidr                        = var.vpc_cidr
  azs                         = var.azs
  nat_gateway_mode            = var.nat_gateway_mode
  cluster_name                = var.name
  flow_log_retention_in_days  = var.log_retention_in_days
  kms_deletion_window_in_days = local.kms_deletion_window
  tags                        = var.tags
}

module "eks" {
  source = "../eks"

  name                          = var.name
  kubernetes_version            = var.kubernetes_version
  vpc_id                        = module.network.vpc_id
  subnet_ids                    = module.network.private_subnet_ids
  endpoint_public_access        = var.endpoint_public_access
  public_access_cidrs           = var.public_access_cidrs
  node_groups                   = var.node_groups
  cluster_log_retention_in_days = var.log_retention_in_days
  log_shipper_log_group_names   = values(local.application_log_groups)
  kms_deletion_window_in_days   = local.kms_deletion_window
  tags                          = var.tags
}

module "rds" {
  source = "../rds"

  name                        = var.name
  vpc_id                      = module.network.vpc_id
  subnet_ids                  = module.network.private_subnet_ids
  allowed_security_group_ids  = [module.eks.cluster_security_group_id]
  instance_class              = var.database.instance_class
  allocated_storage           = var.database.allocated_storage
  max_allocated_storage       = var.database.max_allocated_storage
  multi_az                    = var.database.multi_az
  deletion_protection         = var.database.deletion_protection
  backup_retention_period     = var.database.backup_retention_period
  skip_final_snapshot         = var.database.skip_final_snapshot
  log_retention_in_days       = var.log_retention_in_days
  kms_deletion_window_in_days = local.kms_deletion_window
  tags                        = var.tags
}

module "ecr" {
  source = "../ecr"

  name                        = var.name
  repositories                = var.ecr_repositories
  force_delete                = var.disposable
  kms_deletion_window_in_days = local.kms_deletion_window
  tags                        = var.tags
}

module "observability" {
  source = "../observability"

  name                        = var.name
  log_groups                  = local.application_log_groups
  log_retention_in_days       = var.log_retention_in_days
  cluster_name                = module.eks.cluster_name
  node_group_names            = module.eks.node_group_names
  db_instance_identifier      = module.rds.db_instance_identifier
  kms_deletion_window_in_days = local.kms_deletion_window
  tags                        = var.tags
}

module "security_baseline" {
  source = "../security-baseline"

  name                        = var.name
  trail_log_retention_days    = var.trail_log_retention_days
  force_destroy               = var.disposable
  kms_deletion_window_in_days = local.kms_deletion_window
  tags                        = var.tags
}
