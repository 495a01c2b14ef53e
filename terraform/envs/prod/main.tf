# prod: a NAT gateway per zone, two node groups, Multi-AZ database with deletion protection and long backups.
module "platform" {
  source = "../../modules/platform"

  name               = var.name
  environment        = "prod"
  azs                = [for zone in ["a", "b", "c"] : "${var.region}${zone}"]
  vpc_cidr           = "10.30.0.0/16"
  nat_gateway_mode   = "one_per_az"
  kubernetes_version = "1.32"

  node_groups = {
    general = {
      instance_types = ["m6i.xlarge"]
      min_size       = 3
      max_size       = 12
      desired_size   = 3
    }
    spot = {
      instance_types = ["m6i.xlarge", "m6a.xlarge", "m5.xlarge"]
      min_size       = 0
      max_size       = 10
      desired_size   = 0
      capacity_type  = "SPOT"
      labels         = { "capacity" = "spot" }
    }
  }

  database = {
    instance_class          = "db.r6g.xlarge"
    allocated_storage       = 200
    max_allocated_storage   = 1000
    multi_az                = true
    deletion_protection     = true
    backup_retention_period = 35
    skip_final_snapshot     = false
  }

  ecr_repositories = ["sample-service"]
}
