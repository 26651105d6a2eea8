output "kms_key_arns" {
  value = { for k, v in aws_kms_key.this : k => v.arn }
}

output "bucket_names" {
  value = { for k, v in local.buckets : k => v.name }
}

output "bucket_arns" {
  value = { for k, v in local.buckets : k => v.arn }
}

output "tracker_queue_urls" {
  value = { for k, v in aws_sqs_queue.tracker : k => v.url }
}

output "tracker_queue_arns" {
  value = { for k, v in aws_sqs_queue.tracker : k => v.arn }
}

output "tracker_queue_names" {
  value = { for k, v in aws_sqs_queue.tracker : k => v.name }
}

output "postgres_endpoint" {
  value = aws_db_instance.postgres.address
}

output "postgres_secret_arn" {
  value = aws_db_instance.postgres.master_user_secret[0].secret_arn
}

output "sqlserver_endpoint" {
  value = aws_db_instance.sqlserver.address
}

output "sqlserver_secret_arn" {
  value = aws_db_instance.sqlserver.master_user_secret[0].secret_arn
}

output "ssm_prefix" {
  value = local.ssm_prefix
}

output "ssm_parameter_arns" {
  description = "Parameter name below the prefix -> ARN"
  value       = merge({ for k, p in aws_ssm_parameter.secret : k => p.arn }, { "redis/url" = aws_ssm_parameter.redis_url.arn })
}

output "ecr_repository_urls" {
  value = { for k, v in aws_ecr_repository.this : k => v.repository_url }
}

output "cognito" {
  value = {
    customer_pool_id   = aws_cognito_user_pool.this["customers"].id
    customer_client_id = aws_cognito_user_pool_client.this["customers"].id
    staff_pool_id      = aws_cognito_user_pool.this["staff"].id
    staff_client_id    = aws_cognito_user_pool_client.this["staff"].id
  }
}

output "ses_identity_arn" {
  value = aws_sesv2_email_identity.this.arn
}

output "glue_database" {
  value = aws_glue_catalog_database.lake.name
}

output "athena_workgroup" {
  value = aws_athena_workgroup.analytics.name
}
