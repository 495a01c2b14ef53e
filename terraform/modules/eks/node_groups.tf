data "aws_iam_policy_document" "node_assume" {
  statement {
    sid     = "Ec2Nodes"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "node" {
  name               = "${var.name}-eks-node"
  description        = "Nodes of the managed node groups of EKS cluster ${var.name}"
  assume_role_policy = data.aws_iam_policy_document.node_assume.json

  tags = merge(var.tags, { Name = "${var.name}-eks-node" })
}

# The three policies a worker node needs, and nothing broader: workloads get their own roles through IRSA.
resource "aws_iam_role_policy_attachment" "node" {
  for_each = toset(["AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly"])

  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/${each.key}"
}

# Root volumes: the Auto Scaling groups EKS creates launch instances as the Auto Scaling service-linked role,
# which needs a grant to create volumes encrypted with a customer key (its own policy cannot be changed).
module "node_volume_key" {
  source = "../kms-key"

  alias                   = "${var.name}-eks-node-volumes"
  description             = "Encrypts the root volumes of the nodes of EKS cluster ${var.name}"
  deletion_window_in_days = var.kms_deletion_window_in_days
  tags                    = var.tags
}

resource "aws_kms_grant" "autoscaling" {
  name              = "${var.name}-eks-node-volumes"
  key_id            = module.node_volume_key.arn
  grantee_principal = "arn:${local.partition}:iam::${local.account_id}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling"
  operations = [
    "Encrypt",
    "Decrypt",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "DescribeKey",
    "CreateGrant",
  ]
}

resource "aws_launch_template" "node" {
  for_each = var.node_groups

  name                   = "${var.name}-${each.key}"
  description            = "Nodes of node group ${var.name}-${each.key}: IMDSv2 only, encrypted gp3 root volume"
  update_default_version = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1 # pods (one hop further) cannot reach the node's credentials
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = each.value.disk_size_gb
      volume_type           = "gp3"
      encrypted             = "true"
      kms_key_id            = module.node_volume_key.arn
      delete_on_termination = "true"
    }
  }

  dynamic "tag_specifications" {
    for_each = ["instance", "volume", "network-interface"]
    content {
      resource_type = tag_specifications.value
      tags          = merge(var.tags, { Name = "${var.name}-${each.key}" })
    }
  }

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_eks_node_group" "this" {
  for_each = var.node_groups

  cluster_name    = aws_eks_cluster.this.name
  node_group_name = "${var.name}-${each.key}"
  node_role_arn   = aws_iam_role.node.arn
  subnet_ids      = var.subnet_ids
  version         = aws_eks_cluster.this.version
  instance_types  = each.value.instance_types
  capacity_type   = each.value.capacity_type
  labels          = each.value.labels

  launch_template {
    id      = aws_launch_template.node[each.key].id
    version = aws_launch_template.node[each.key].latest_version
  }

  scaling_config {
    min_size     = each.value.min_size
    max_size     = each.value.max_size
    desired_size = each.value.desired_size
  }

  update_config {
    max_unavailable = 1
  }

  tags = merge(var.tags, local.autoscaler_tags, { Name = "${var.name}-${each.key}" })

  depends_on = [aws_iam_role_policy_attachment.node, aws_kms_grant.autoscaling]
}
