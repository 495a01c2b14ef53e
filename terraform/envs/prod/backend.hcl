# terraform init -backend-config=backend.hcl
bucket         = "acme-platform-tfstate"
key            = "envs/prod/terraform.tfstate"
region         = "us-east-1"
dynamodb_table = "acme-platform-tfstate-lock"
encrypt        = true
