# terraform init -backend-config=backend.hcl
bucket         = "acme-platform-tfstate"
key            = "envs/staging/terraform.tfstate"
region         = "us-east-1"
dynamodb_table = "acme-platform-tfstate-lock"
encrypt        = true
