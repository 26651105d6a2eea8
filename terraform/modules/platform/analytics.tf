# Glue catalogue over the lake and an Athena workgroup whose results are encrypted and kept in
# the lake bucket: the same funnel and ADP questions, at scale.
resource "aws_glue_catalog_database" "lake" {
  name = replace("${var.name}_lake", "-", "_")
}

resource "aws_glue_data_catalog_encryption_settings" "this" {
  data_catalog_encryption_settings {
    connection_password_encryption {
      return_connection_password_encrypted = true
      aws_kms_key_id                       = aws_kms_key.this["data"].arn
    }
    encryption_at_rest {
      catalog_encryption_mode = "SSE-KMS"
      sse_aws_kms_key_id      = aws_kms_key.this["data"].arn
    }
  }
}

resource "aws_athena_workgroup" "analytics" {
  name = "${var.name}-analytics"
  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = 10737418240
    result_configuration {
      output_location = "s3://${module.lake.name}/athena-results/"
      encryption_configuration {
        encryption_option = "SSE_KMS"
        kms_key_arn       = aws_kms_key.this["data"].arn
      }
    }
  }
}
