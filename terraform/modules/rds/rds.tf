resource "aws_security_group" "this" {
  name        = "${var.name}-rds"
  description = "PostgreSQL ${var.name}: 5432 from the allowed security groups only"
  vpc_id      = var.vpc_id

  # Rules are set as attributes, not as separate rule resources, so Terraform owns the whole rule set: a rule
  # added outside Terraform (a CIDR, 0.0.0.0/0) shows up as drift and the next apply removes it. One rule
  # names every allowed group (none when the list is empty); egress = [] leaves the database no outbound rule,
  # as it never opens connections.
  ingress = [
    for ids in [var.allowed_security_group_ids] : {
      description      = "PostgreSQL from the allowed security groups"
      protocol         = "tcp"
      from_port        = local.port
      to_port          = local.port
      security_groups  = ids
      cidr_blocks      = []
      ipv6_cidr_blocks = []
      prefix_list_ids  = []
      self             = false
    } if length(ids) > 0
  ]
  egress = []

  tags = merge(var.tags, { Name = "${var.name}-rds" })
}

resource "aws_db_subnet_group" "this" {
  name        = var.name
  description = "Private subnets of the PostgreSQL instance ${var.name}"
  subnet_ids  = var.subnet_ids

  tags = merge(var.tags, { Name = var.name })
}

resource "aws_db_parameter_group" "this" {
  name        = "${var.name}-${local.parameter_group_family}"
  family      = local.parameter_group_family
  description = "PostgreSQL ${var.name}: TLS required, connections, DDL and slow statements logged"

  # Refuse clear-text connections (STRATA-RDS-004), and anything older than TLS 1.2.
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "ssl_min_protocol_version"
    value = "TLSv1.2"
  }

  # Who connected and when, DDL statements, slow statements and lock waits, in the exported log.
  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_disconnections"
    value = "1"
  }

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  parameter {
    name  = "log_lock_waits"
    value = "1"
  }

  tags = merge(var.tags, { Name = "${var.name}-${local.parameter_group_family}" })
}

resource "aws_cloudwatch_log_group" "this" {
  for_each = toset(local.log_exports)

  name              = "${local.log_group_prefix}/${each.key}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = module.kms.arn

  tags = merge(var.tags, { Name = "${var.name}-${each.key}" })
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_353:Performance Insights is a tuning aid, not a control the platform requires; it stores statement text outside the log groups this module retains and encrypts.
  #checkov:skip=CKV_AWS_118:Enhanced monitoring writes OS metrics to the account-wide RDSOSMetrics log group, which this module cannot own (its key and retention); not required by the platform's controls.
  #checkov:skip=CKV_AWS_354:Performance Insights is off (see CKV_AWS_353), so there is nothing for its key to encrypt.
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  storage_type          = "gp3"
  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_encrypted     = true
  kms_key_id            = module.kms.arn

  username                            = "dbadmin"
  manage_master_user_password         = true
  master_user_secret_kms_key_id       = module.kms.arn
  iam_database_authentication_enabled = true

  port                   = local.port
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.this.id]
  publicly_accessible    = false
  multi_az               = var.multi_az
  parameter_group_name   = aws_db_parameter_group.this.name

  backup_retention_period    = var.backup_retention_period
  backup_window              = var.backup_window
  maintenance_window         = var.maintenance_window
  copy_tags_to_snapshot      = true
  deletion_protection        = var.deletion_protection
  skip_final_snapshot        = var.skip_final_snapshot
  final_snapshot_identifier  = var.skip_final_snapshot ? null : "${var.name}-final"
  auto_minor_version_upgrade = true
  apply_immediately          = false

  enabled_cloudwatch_logs_exports = local.log_exports

  tags = merge(var.tags, { Name = var.name })

  lifecycle {
    precondition {
      condition     = var.max_allocated_storage >= var.allocated_storage
      error_message = "max_allocated_storage must be at least allocated_storage."
    }
  }

  # The log groups must exist, with their retention and key, before RDS starts exporting into them.
  depends_on = [aws_cloudwatch_log_group.this]
}
