output "platform" {
  description = "Every output of the platform module: ids and names the tests and operators read."
  value       = module.platform
}
