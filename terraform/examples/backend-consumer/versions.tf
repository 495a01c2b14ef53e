terraform {
  required_version = ">= 1.6"

  # Partial configuration: bucket, key, region, dynamodb_table, encrypt, kms_key_id
  # and any endpoint settings are passed with -backend-config at init.
  backend "s3" {}

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}
