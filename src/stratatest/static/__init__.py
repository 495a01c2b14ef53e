"""Static layer scanners: tools that read the code (Terraform, later manifests and charts) without a target."""
