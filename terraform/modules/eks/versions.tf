terraform {
  # 1.9: variable validations that refer to other variables (public endpoint ⇒ CIDRs given).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}
