# The secure API gateway: one EC2 instance in a public subnet behind an Elastic IP (the address
# the vendors allow-list), admitting only the platform's subnets. Its network interface is a
# resource of its own, so a replaced instance keeps both the private address the platform calls
# and the public one the vendors know. The instance role reads only its own SSM parameters,
# fetches the gateway's package and writes its own logs.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 7.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.4"
    }
  }
}

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_ssm_parameter" "al2023" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

locals {
  region          = data.aws_region.current.name
  account_id      = data.aws_caller_identity.current.account_id
  obv_parameter   = "${var.ssm_prefix}/obv/api-key"
  token_parameter = "${var.ssm_prefix}/dynamics/client-secret"
  log_group_name  = "/${var.name}/gateway"
  artifact_key    = "gateway/ff-gateway-${data.archive_file.package.output_md5}.zip"
  tags            = merge(var.tags, { Component = "gateway" })

  # The gateway's config (ff_gateway.config.GatewayConfig): names of secrets, never values.
  gateway_config = {
    listen_host     = "0.0.0.0"
    listen_port     = var.listen_port
    allow           = var.platform_cidrs
    runtime_dir     = "/var/lib/ff-gateway"
    log_dir         = "/var/log/ff-gateway"
    user            = "nginx"
    trusted_ca_file = "/etc/pki/tls/certs/ca-bundle.crt"
    ssm             = { region = local.region }
    obv = {
      api               = { url = var.obv_url, rate_per_second = var.obv_rate_per_second }
      api_key_parameter = local.obv_parameter
    }
    dynamics = {
      api = {
        url             = var.dynamics_url
        rate_per_second = var.dynamics_rate_per_second
        max_concurrent  = var.dynamics_max_concurrent
      }
      token                   = { url = var.dynamics_token_url, rate_per_second = 2, burst = 5 }
      tenant                  = var.dynamics_tenant
      client_id               = var.dynamics_client_id
      client_secret_parameter = local.token_parameter
      scope                   = "${var.dynamics_url}/.default"
    }
    anchor_lms = var.anchor_lms_url == null ? null : { api = { url = var.anchor_lms_url } }
  }
}

# The gateway's Python package (nginx template, renderer, credential agent), as the instance
# installs it.
data "archive_file" "package" {
  type        = "zip"
  source_dir  = "${path.module}/../../../gateway"
  output_path = "${path.module}/.build/ff-gateway.zip"
  excludes    = ["**/__pycache__/**", "Dockerfile", ".dockerignore"]
}

resource "aws_s3_bucket" "artifacts" {
  #checkov:skip=CKV_AWS_144:single-region by design (UK data residency); the package is rebuilt from the repository
  #checkov:skip=CKV2_AWS_62:nothing consumes S3 event notifications; the instance fetches its package at boot
  #checkov:skip=CKV_AWS_18:object access is audited through CloudTrail data events on the account trail
  #checkov:skip=CKV_AWS_145:holds the gateway's code package only (no credentials, no personal data); SSE-S3 encrypted
  bucket_prefix = "${var.name}-gateway-"
  force_destroy = true
  tags          = local.tags
}

resource "aws_s3_bucket_public_access_block" "artifacts" {
  bucket                  = aws_s3_bucket.artifacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    id     = "expire-old-packages"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 90
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artifacts" {
  bucket = aws_s3_bucket.artifacts.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_object" "package" {
  bucket = aws_s3_bucket.artifacts.id
  key    = local.artifact_key
  source = data.archive_file.package.output_path
  etag   = data.archive_file.package.output_md5
  tags   = local.tags
}

resource "aws_cloudwatch_log_group" "gateway" {
  #checkov:skip=CKV_AWS_158:the access log holds no credentials, tokens or bodies (ids, vendor, status, timings); CloudWatch encrypts it at rest
  #checkov:skip=CKV_AWS_338:operational log of the egress hop; the platform's own audit trail is the record kept for years
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_security_group" "gateway" {
  name_prefix = "${var.name}-gateway-"
  description = "Secure API gateway: the platform's subnets in, HTTPS to the vendors out"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = "${var.name}-gateway" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "platform" {
  for_each          = toset(var.platform_cidrs)
  security_group_id = aws_security_group.gateway.id
  description       = "The platform calls the gateway"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = var.listen_port
  to_port           = var.listen_port
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.gateway.id
  description       = "HTTPS to the vendors, the package repositories and AWS APIs"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_iam_role" "gateway" {
  name_prefix = "${var.name}-gateway-"
  tags        = local.tags
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "ec2.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

data "aws_iam_policy_document" "gateway" {
  statement {
    sid       = "ReadOnlyItsOwnParameters"
    actions   = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = ["arn:aws:ssm:${local.region}:${local.account_id}:parameter${var.ssm_prefix}/*"]
  }

  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "DecryptItsParameters"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["ssm.${local.region}.amazonaws.com"]
      }
    }
  }

  statement {
    sid       = "WriteItsLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.gateway.arn}:*"]
  }

  statement {
    sid       = "FetchItsPackage"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.artifacts.arn}/gateway/*"]
  }
}

resource "aws_iam_role_policy" "gateway" {
  name   = "gateway"
  role   = aws_iam_role.gateway.id
  policy = data.aws_iam_policy_document.gateway.json
}

resource "aws_iam_instance_profile" "gateway" {
  name_prefix = "${var.name}-gateway-"
  role        = aws_iam_role.gateway.name
  tags        = local.tags
}

resource "aws_network_interface" "gateway" {
  subnet_id       = var.public_subnet_id
  security_groups = [aws_security_group.gateway.id]
  description     = "${var.name} secure API gateway"
  tags            = merge(local.tags, { Name = "${var.name}-gateway" })
}

resource "aws_eip" "gateway" {
  #checkov:skip=CKV2_AWS_19:attached to the instance's own network interface, so a replaced instance keeps the vendors' allow-listed address
  domain            = "vpc"
  network_interface = aws_network_interface.gateway.id
  tags              = merge(local.tags, { Name = "${var.name}-gateway" })
}

resource "aws_instance" "gateway" {
  ami                         = coalesce(var.ami_id, data.aws_ssm_parameter.al2023.value)
  instance_type               = var.instance_type
  ebs_optimized               = true
  monitoring                  = true
  iam_instance_profile        = aws_iam_instance_profile.gateway.name
  user_data_replace_on_change = true
  user_data = templatefile("${path.module}/user_data.sh.tftpl", {
    region         = local.region
    bucket         = aws_s3_bucket.artifacts.id
    package_key    = aws_s3_object.package.key
    config_json    = jsonencode(local.gateway_config)
    log_group_name = aws_cloudwatch_log_group.gateway.name
  })

  network_interface {
    network_interface_id = aws_network_interface.gateway.id
    device_index         = 0
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 16
    encrypted   = true
  }

  tags = merge(local.tags, { Name = "${var.name}-gateway" })
}

# A failed host is replaced on new hardware with the same interface, addresses and volume.
resource "aws_cloudwatch_metric_alarm" "recover" {
  alarm_name          = "${var.name}-gateway-recover"
  alarm_description   = "Recover the secure API gateway when its host fails"
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed_System"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  dimensions          = { InstanceId = aws_instance.gateway.id }
  alarm_actions       = ["arn:aws:automate:${local.region}:ec2:recover"]
  tags                = local.tags
}
