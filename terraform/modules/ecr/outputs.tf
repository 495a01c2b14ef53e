output "repository_names" {
  description = "Full repository name (<name>/<repository>) per entry of var.repositories."
  value       = { for r, repo in aws_ecr_repository.this : r => repo.name }
}

output "repository_urls" {
  description = "Repository URL (<account>.dkr.ecr.<region>.amazonaws.com/<name>/<repository>) per entry of var.repositories."
  value       = { for r, repo in aws_ecr_repository.this : r => repo.repository_url }
}

output "repository_arns" {
  description = "Repository ARN per entry of var.repositories."
  value       = { for r, repo in aws_ecr_repository.this : r => repo.arn }
}

output "kms_key_arn" {
  description = "ARN of the KMS key that encrypts every repository."
  value       = module.kms.arn
}
