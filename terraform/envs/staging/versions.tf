terraform {
  required_version = ">= 1.6"

  # Partial configuration: `terraform init -backend-config=backend.hcl` (the bucket, lock table and key made by
  # terraform/modules/state-backend). Tests pass their own settings instead.
  backend "s3" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}
