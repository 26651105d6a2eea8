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
