# Checkov samples for tests/unit/static: a bucket that fails two checks, volumes waived with and without a reason.

resource "aws_s3_bucket" "logs" {
  bucket = "tiny-logs"
}

resource "aws_ebs_volume" "data" {
  #checkov:skip=CKV_AWS_189:the sample keeps the AWS-managed key on purpose
  availability_zone = "us-east-1a"
  size              = 1
  encrypted         = true
}

resource "aws_ebs_volume" "scratch" {
  #checkov:skip=CKV_AWS_189
  availability_zone = "us-east-1a"
  size              = 1
  encrypted         = true
}
