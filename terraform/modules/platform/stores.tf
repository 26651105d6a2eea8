# PostgreSQL (obv, lms, tracker schemas), SQL Server (the restored loan book) and Redis (arq).
# Master passwords live in Secrets Manager, managed by RDS (never in state or in code).
resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.private_subnet_ids
}

resource "aws_security_group" "stores" {
  name        = "${var.name}-stores"
  description = "PostgreSQL, SQL Server and Redis, reachable from inside the VPC only"
  vpc_id      = var.vpc_id
  ingress {
    description = "PostgreSQL from the VPC"
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
  ingress {
    description = "SQL Server from the VPC"
    from_port   = 1433
    to_port     = 1433
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
  ingress {
    description = "Redis from the VPC"
    from_port   = 6379
    to_port     = 6379
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
}

data "aws_iam_policy_document" "rds_monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "rds_monitoring" {
  name                = "${var.name}-rds-monitoring"
  assume_role_policy  = data.aws_iam_policy_document.rds_monitoring_assume.json
  managed_policy_arns = ["arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"]
}

resource "aws_db_parameter_group" "postgres" {
  name   = "${var.name}-postgres16"
  family = "postgres16"
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }
}

resource "aws_db_instance" "postgres" {
  #checkov:skip=CKV2_AWS_30:query logging is on through the parameter group (slow statements); full statement logging would log personal data
  identifier                            = "${var.name}-postgres"
  engine                                = "postgres"
  engine_version                        = "16.4"
  instance_class                        = var.postgres_instance_class
  allocated_storage                     = 50
  max_allocated_storage                 = 500
  storage_type                          = "gp3"
  storage_encrypted                     = true
  kms_key_id                            = aws_kms_key.this["data"].arn
  db_name                               = "fairfinance"
  username                              = "ff_admin"
  manage_master_user_password           = true
  master_user_secret_kms_key_id         = aws_kms_key.this["secrets"].arn
  iam_database_authentication_enabled   = true
  db_subnet_group_name                  = aws_db_subnet_group.this.name
  vpc_security_group_ids                = [aws_security_group.stores.id]
  parameter_group_name                  = aws_db_parameter_group.postgres.name
  multi_az                              = true
  publicly_accessible                   = false
  backup_retention_period               = var.backup_retention_days
  deletion_protection                   = true
  skip_final_snapshot                   = false
  final_snapshot_identifier             = "${var.name}-postgres-final"
  copy_tags_to_snapshot                 = true
  auto_minor_version_upgrade            = true
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.rds_monitoring.arn
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.this["data"].arn
  performance_insights_retention_period = 7
}

# SQL Server: lms-restorer restores the converted .bak from S3 with
# msdb.dbo.rds_restore_database, which needs the SQLSERVER_BACKUP_RESTORE option and a role
# RDS assumes to read the backups bucket.
data "aws_iam_policy_document" "sqlserver_restore_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "sqlserver_restore" {
  name               = "${var.name}-sqlserver-backup-restore"
  assume_role_policy = data.aws_iam_policy_document.sqlserver_restore_assume.json
}

data "aws_iam_policy_document" "sqlserver_restore" {
  statement {
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [module.backups.arn]
  }
  statement {
    actions   = ["s3:GetObject", "s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"]
    resources = ["${module.backups.arn}/*"]
  }
  statement {
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [aws_kms_key.this["data"].arn]
  }
}

resource "aws_iam_role_policy" "sqlserver_restore" {
  role   = aws_iam_role.sqlserver_restore.id
  policy = data.aws_iam_policy_document.sqlserver_restore.json
}

resource "aws_db_option_group" "sqlserver" {
  name                     = "${var.name}-sqlserver-se-16"
  option_group_description = "Native backup and restore from the backups bucket"
  engine_name              = "sqlserver-se"
  major_engine_version     = "16.00"
  option {
    option_name = "SQLSERVER_BACKUP_RESTORE"
    option_settings {
      name  = "IAM_ROLE_ARN"
      value = aws_iam_role.sqlserver_restore.arn
    }
  }
}

resource "aws_db_parameter_group" "sqlserver" {
  name   = "${var.name}-sqlserver-se-16"
  family = "sqlserver-se-16.0"
  parameter {
    name         = "rds.force_ssl"
    value        = "1"
    apply_method = "pending-reboot"
  }
}

resource "aws_db_instance" "sqlserver" {
  #checkov:skip=CKV_AWS_161:IAM database authentication is not available for SQL Server on RDS
  #checkov:skip=CKV2_AWS_30:SQL Server has no query-log parameter; the error and agent logs are exported
  identifier                            = "${var.name}-sqlserver"
  engine                                = "sqlserver-se"
  engine_version                        = "16.00.4150.1.v1"
  license_model                         = "license-included"
  instance_class                        = var.sqlserver_instance_class
  allocated_storage                     = 100
  max_allocated_storage                 = 1000
  storage_type                          = "gp3"
  storage_encrypted                     = true
  kms_key_id                            = aws_kms_key.this["data"].arn
  username                              = "ff_admin"
  manage_master_user_password           = true
  master_user_secret_kms_key_id         = aws_kms_key.this["secrets"].arn
  db_subnet_group_name                  = aws_db_subnet_group.this.name
  vpc_security_group_ids                = [aws_security_group.stores.id]
  option_group_name                     = aws_db_option_group.sqlserver.name
  parameter_group_name                  = aws_db_parameter_group.sqlserver.name
  multi_az                              = true
  publicly_accessible                   = false
  backup_retention_period               = var.backup_retention_days
  deletion_protection                   = true
  skip_final_snapshot                   = false
  final_snapshot_identifier             = "${var.name}-sqlserver-final"
  copy_tags_to_snapshot                 = true
  auto_minor_version_upgrade            = true
  enabled_cloudwatch_logs_exports       = ["agent", "error"]
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.rds_monitoring.arn
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.this["data"].arn
  performance_insights_retention_period = 7
}

resource "random_password" "redis" {
  length  = 48
  special = false
}

resource "aws_elasticache_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.private_subnet_ids
}

resource "aws_elasticache_replication_group" "redis" {
  replication_group_id       = "${var.name}-redis"
  description                = "arq queues, idempotency keys, caches and rate limits"
  engine                     = "redis"
  engine_version             = "7.1"
  node_type                  = var.redis_node_type
  num_cache_clusters         = 2
  automatic_failover_enabled = true
  multi_az_enabled           = true
  subnet_group_name          = aws_elasticache_subnet_group.this.name
  security_group_ids         = [aws_security_group.stores.id]
  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.this["data"].arn
  transit_encryption_enabled = true
  auth_token                 = random_password.redis.result
  snapshot_retention_limit   = 7
  auto_minor_version_upgrade = true
}

# The Redis URL tasks read: derived from the token above, so Terraform writes its value.
resource "aws_ssm_parameter" "redis_url" {
  name   = "${local.ssm_prefix}/redis/url"
  type   = "SecureString"
  key_id = aws_kms_key.this["secrets"].arn
  value  = "rediss://:${random_password.redis.result}@${aws_elasticache_replication_group.redis.primary_endpoint_address}:6379/0"
}
