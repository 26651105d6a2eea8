# One key per data class, each rotated yearly: data at rest, logs (CloudWatch needs its own
# grant), secrets (SSM SecureStrings), and audit (wraps the audit log's per-customer data keys).
locals {
  kms_keys = {
    data    = "S3, RDS, ElastiCache, SQS and backups"
    logs    = "CloudWatch log groups"
    secrets = "SSM SecureString parameters"
    audit   = "the audit log's per-customer data keys (GenerateDataKey, Decrypt)"
  }
}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:a key policy's resource is always "*" (the key itself); only the account root administers it
  #checkov:skip=CKV_AWS_111:a key policy's resource is always "*" (the key itself)
  #checkov:skip=CKV_AWS_356:a key policy's resource is always "*" (the key itself)
  for_each = local.kms_keys
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
  dynamic "statement" {
    for_each = each.key == "logs" ? [1] : []
    content {
      sid       = "CloudWatchLogsEncrypt"
      actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
      resources = ["*"]
      principals {
        type        = "Service"
        identifiers = ["logs.${data.aws_region.current.name}.amazonaws.com"]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  for_each                = local.kms_keys
  description             = "${var.name} ${each.key}: ${each.value}"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms[each.key].json
}

resource "aws_kms_alias" "this" {
  for_each      = local.kms_keys
  name          = "alias/${var.name}-${each.key}"
  target_key_id = aws_kms_key.this[each.key].key_id
}
