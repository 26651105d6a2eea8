# Secrets the platform reads from SSM at start-up (FF_... settings naming `ssm:` references).
# Terraform creates the names with a placeholder and never reads or writes the value again:
# operators put the real values in out of band (docs/deployment.md, "Secrets into SSM").
locals {
  ssm_prefix = "/ff/${var.environment}"
  secrets = [
    "dynamics/client-secret",
    "obv/api-key",
    "anchor-lms/password",
    "lms/sftp-password",
    "lms/sftp-private-key",
    "lms/converter-password",
    "payments/access-token",
    "payments/webhook-secret",
    "claude/api-key",
    "google-analytics/credentials",
    "adp/customer-key-salt",
    "mongo/url",
    "postgres/dsn",
    "loanbook/connection-string",
    "lms/sqlserver-connection-string",
  ]
}

resource "aws_ssm_parameter" "secret" {
  for_each = toset(local.secrets)
  name     = "${local.ssm_prefix}/${each.key}"
  type     = "SecureString"
  key_id   = aws_kms_key.this["secrets"].arn
  value    = "set-out-of-band"
  lifecycle {
    ignore_changes = [value]
  }
}
