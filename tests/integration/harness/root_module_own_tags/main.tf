# A root module with default_tags of its own that does not merge the run id: an override would replace its tags
# whole, so the harness must refuse it and say exactly what to add.
provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = { environment = "probe" }
  }
}

resource "aws_ssm_parameter" "probe" {
  name  = "/stratatest/own-tags"
  type  = "String"
  value = "x"
}
