variable "name" {
  description = "Name of this platform instance; tests pass a unique one."
  type        = string
  default     = "acme-dev"
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
  default     = "us-east-1"
}

variable "owner" {
  description = "Team that owns the environment (default tag `owner`)."
  type        = string
  default     = "platform-team"
}

variable "run_id" {
  description = "stratatest run id, added as the stratatest:run-id default tag when set. Leave null outside tests."
  type        = string
  default     = null
}

variable "run_tags" {
  description = "Further tags stratatest sets under test (owner and expiry in a sandbox account). Leave empty outside tests."
  type        = map(string)
  default     = {}
  nullable    = false
}
