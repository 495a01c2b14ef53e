data "aws_iam_policy_document" "cluster_assume" {
  statement {
    sid     = "EksControlPlane"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["eks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "cluster" {
  name               = "${var.name}-eks-cluster"
  description        = "Control plane of EKS cluster ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.cluster_assume.json

  tags = merge(var.tags, { Name = "${var.name}-eks-cluster" })
}

resource "aws_iam_role_policy_attachment" "cluster" {
  role       = aws_iam_role.cluster.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonEKSClusterPolicy"
}

# What EKS needs to envelope-encrypt secrets, on the secrets key only.
data "aws_iam_policy_document" "cluster_encryption" {
  statement {
    sid       = "EnvelopeEncryptSecretsWithTheClusterKey"
    effect    = "Allow"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"]
    resources = [module.secrets_key.arn]
  }
}

resource "aws_iam_role_policy" "cluster_encryption" {
  name   = "encrypt-secrets"
  role   = aws_iam_role.cluster.id
  policy = data.aws_iam_policy_document.cluster_encryption.json
}

# Extra group on the control-plane interfaces, without rules: EKS's own cluster security group already lets the
# control plane and the nodes talk; API access from elsewhere (a VPN, CI) is added here explicitly when needed.
resource "aws_security_group" "cluster" {
  name        = "${var.name}-eks-cluster"
  description = "Additional security group of the EKS control plane of ${var.name}; no rules by default"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-eks-cluster" })
}

resource "aws_eks_cluster" "this" {
  name                      = var.name
  version                   = var.kubernetes_version
  role_arn                  = aws_iam_role.cluster.arn
  enabled_cluster_log_types = local.cluster_log_types

  vpc_config {
    subnet_ids              = var.subnet_ids
    security_group_ids      = [aws_security_group.cluster.id]
    endpoint_private_access = true
    endpoint_public_access  = var.endpoint_public_access
    # Only with a public endpoint; validation guarantees the list is not empty then (empty means 0.0.0.0/0).
    public_access_cidrs = var.endpoint_public_access ? var.public_access_cidrs : null
  }

  encryption_config {
    resources = ["secrets"]

    provider {
      key_arn = module.secrets_key.arn
    }
  }

  tags = merge(var.tags, { Name = var.name })

  # The log group must exist first (with its retention and key), or EKS creates it unencrypted, kept forever;
  # the role needs its policies before EKS uses it.
  depends_on = [
    aws_cloudwatch_log_group.cluster,
    aws_iam_role_policy_attachment.cluster,
    aws_iam_role_policy.cluster_encryption,
  ]
}

resource "aws_eks_addon" "this" {
  for_each = var.addons

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = each.value.version
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "PRESERVE"

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })

  # coredns needs nodes to schedule on before EKS reports it active.
  depends_on = [aws_eks_node_group.this]
}
