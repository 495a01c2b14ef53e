provider "aws" {
  region = var.region

  default_tags {
    tags = merge(
      {
        environment = "dev"
        owner       = var.owner
        managed-by  = "terraform"
        repository  = "stratatest"
      },
      # Set by stratatest under test, so every resource of a test run can be found and cleaned up.
      var.run_id == null ? {} : { "stratatest:run-id" = var.run_id },
      # On a real sandbox account stratatest adds its owner and expiry tags (stratatest:owner, stratatest:expires).
      var.run_tags,
    )
  }
}
