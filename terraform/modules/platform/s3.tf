# documents: customer uploads (kept; old versions a year, a deleted document must be recoverable);
# lake: raw tracker events and ADP outputs (raw events expire after two years);
# extracts: daily CSV extracts (expire after 90 days);
# backups: original and converted LMS backups (lms-restorer applies its own retention).
module "documents" {
  source          = "../bucket"
  name            = "${var.name}-documents"
  kms_key_arn     = aws_kms_key.this["data"].arn
  noncurrent_days = 365
}

# The customer portal's browser posts uploads straight to the bucket (a presigned POST): only
# from the portal's origins, only POST, and nothing read back but the ETag.
resource "aws_s3_bucket_cors_configuration" "documents" {
  bucket = module.documents.name
  cors_rule {
    allowed_methods = ["POST"]
    allowed_origins = var.upload_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3600
  }
}

module "lake" {
  source          = "../bucket"
  name            = "${var.name}-lake"
  kms_key_arn     = aws_kms_key.this["data"].arn
  expire_days     = 730
  noncurrent_days = 7
}

module "extracts" {
  source          = "../bucket"
  name            = "${var.name}-extracts"
  kms_key_arn     = aws_kms_key.this["data"].arn
  expire_days     = 90
  noncurrent_days = 7
}

module "backups" {
  source          = "../bucket"
  name            = "${var.name}-backups"
  kms_key_arn     = aws_kms_key.this["data"].arn
  noncurrent_days = 35
}

locals {
  buckets = {
    documents = module.documents
    lake      = module.lake
    extracts  = module.extracts
    backups   = module.backups
  }
}
