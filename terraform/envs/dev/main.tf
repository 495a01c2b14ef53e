# dev: one NAT gateway, small nodes, single-AZ database without deletion protection, disposable.
module "platform" {
  source = "../../modules/platform"

  name               = var.name
  environment        = "dev"
  azs                = [for zone in ["a", "b", "c"] : "${var.region}${zone}"]
  vpc_cidr           = "10.10.0.0/16"
  nat_gateway_mode   = "single"
  kubernetes_version = "1.32"

  node_groups = {
    general = {
      instance_types = ["t3.large"]
      min_size       = 1
      max_size       = 3
      desired_size   = 2
    }
  }

  database = {
    instance_class          = "db.t4g.medium"
    allocated_storage       = 20
    max_allocated_storage   = 50
    multi_az                = false
    deletion_protection     = false
    backup_retention_period = 7
    skip_final_snapshot     = true
  }

  ecr_repositories = ["sample-service"]
  disposable       = true
}
