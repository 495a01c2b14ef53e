output "cluster_name" {
  description = "Name of the EKS cluster."
  value       = aws_eks_cluster.this.name
}

output "cluster_arn" {
  description = "ARN of the EKS cluster."
  value       = aws_eks_cluster.this.arn
}

output "cluster_endpoint" {
  description = "URL of the Kubernetes API server."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_version" {
  description = "Kubernetes minor version of the control plane."
  value       = aws_eks_cluster.this.version
}

output "cluster_security_group_id" {
  description = "Security group EKS creates for the cluster and puts on the control plane and every managed node: allow it where nodes must connect (e.g. a database)."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider, the Federated principal of IRSA roles."
  value       = aws_iam_openid_connect_provider.this.arn
}

output "oidc_issuer_url" {
  description = "OIDC issuer URL of the cluster (https://...); without the scheme it prefixes IRSA condition keys."
  value       = aws_eks_cluster.this.identity[0].oidc[0].issuer
}

output "node_group_names" {
  description = "Node group names by node_groups key."
  value       = { for k, g in aws_eks_node_group.this : k => g.node_group_name }
}

output "launch_template_ids" {
  description = "Launch template ids by node_groups key."
  value       = { for k, t in aws_launch_template.node : k => t.id }
}

output "node_role_name" {
  description = "Name of the IAM role of the nodes."
  value       = aws_iam_role.node.name
}

output "cluster_role_name" {
  description = "Name of the IAM role of the control plane."
  value       = aws_iam_role.cluster.name
}

output "cluster_autoscaler_role_arn" {
  description = "ARN of the IRSA role for kube-system/cluster-autoscaler: the service account's eks.amazonaws.com/role-arn annotation."
  value       = aws_iam_role.cluster_autoscaler.arn
}

output "cluster_autoscaler_role_name" {
  description = "Name of the Cluster Autoscaler's IRSA role."
  value       = aws_iam_role.cluster_autoscaler.name
}

output "log_shipper_role_arn" {
  description = "ARN of the IRSA role for the log shipper's service account."
  value       = aws_iam_role.log_shipper.arn
}

output "log_shipper_role_name" {
  description = "Name of the log shipper's IRSA role."
  value       = aws_iam_role.log_shipper.name
}

output "kms_key_arn" {
  description = "ARN of the KMS key that envelope-encrypts the cluster's Kubernetes secrets."
  value       = module.secrets_key.arn
}

output "cluster_log_group_name" {
  description = "Name of the control-plane log group, /aws/eks/<name>/cluster."
  value       = aws_cloudwatch_log_group.cluster.name
}

output "cluster_log_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the control-plane log group."
  value       = module.cluster_log_key.arn
}

output "node_volume_kms_key_arn" {
  description = "ARN of the KMS key that encrypts the nodes' root volumes."
  value       = module.node_volume_key.arn
}
