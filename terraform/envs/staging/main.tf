# staging: production's shape at a smaller size (Multi-AZ, deletion protection, a NAT gateway per zone).
module "platform" {
  source = "../../modules/platform"

  name               = var.name
  environment        = "staging"
  azs                = [for zone in ["a", "b", "c"] : "${var.region}${zone}"]
  vpc_cidr           = "10.20.0.0/16"
  nat_gateway_mode   = "one_per_az"
  kubernetes_version = "1.32"

  node_groups = {
    general = {
      instance_types = ["m6i.large"]
      min_size       = 2
      max_size       = 6
      desired_size   = 3
    }
  }

  database = {
    instance_class          = "db.m6g.large"
    allocated_storage       = 50
    max_allocated_storage   = 200
    multi_az                = true
    deletion_protection     = true
    backup_retention_period = 14
    skip_final_snapshot     = false
  }

  ecr_repositories = ["sample-service"]
}
