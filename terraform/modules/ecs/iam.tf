# One task role per deployable with only what it uses; one execution role per deployable that
# may pull the image and read only that deployable's secrets.
locals {
  deployables = toset(concat(keys(var.services), distinct([for t in var.scheduled_tasks : t.deployable]), ["migrate"]))
  grants = {
    api = {
      buckets_rw   = ["documents"]
      buckets_ro   = ["lake", "extracts", "backups"]
      sqs_send     = true
      sqs_consume  = false
      ses          = false
      athena       = true
      secret_paths = ["dynamics", "obv", "anchor-lms", "payments", "claude", "google-analytics", "mongo", "redis"]
    }
    core = {
      buckets_rw   = ["documents"]
      buckets_ro   = []
      sqs_send     = false
      sqs_consume  = false
      ses          = true
      athena       = false
      secret_paths = ["dynamics", "obv", "anchor-lms", "payments", "mongo", "redis"]
    }
    tracker-processor = {
      buckets_rw   = ["lake", "extracts"]
      buckets_ro   = []
      sqs_send     = false
      sqs_consume  = true
      ses          = false
      athena       = false
      secret_paths = ["redis"]
    }
    obv-archiver = {
      buckets_rw   = []
      buckets_ro   = []
      sqs_send     = false
      sqs_consume  = false
      ses          = false
      athena       = false
      secret_paths = ["dynamics", "obv", "redis"]
    }
    lms-restorer = {
      buckets_rw   = ["backups"]
      buckets_ro   = []
      sqs_send     = false
      sqs_consume  = false
      ses          = true
      athena       = false
      secret_paths = ["lms", "redis"]
    }
    migrate = {
      buckets_rw   = []
      buckets_ro   = []
      sqs_send     = false
      sqs_consume  = false
      ses          = false
      athena       = false
      secret_paths = ["postgres"]
    }
    adp = {
      buckets_rw   = ["lake"]
      buckets_ro   = []
      sqs_send     = false
      sqs_consume  = false
      ses          = false
      athena       = true
      secret_paths = ["dynamics", "mongo", "redis"]
    }
  }
}

data "aws_iam_policy_document" "ecs_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "task" {
  for_each           = local.deployables
  name               = "${var.name}-${each.key}-task"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
}

data "aws_iam_policy_document" "task" {
  for_each = local.deployables
  statement {
    sid       = "ReadOwnParameters"
    actions   = ["ssm:GetParameter", "ssm:GetParameters"]
    resources = [for p in local.grants[each.key].secret_paths : "arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter${var.ssm_prefix}/${p}/*"]
  }
  statement {
    sid       = "UseKeys"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"]
    resources = [var.kms_key_arns["data"], var.kms_key_arns["secrets"], var.kms_key_arns["audit"]]
  }
  dynamic "statement" {
    for_each = length(local.grants[each.key].buckets_rw) > 0 ? [1] : []
    content {
      sid       = "ReadWriteObjects"
      actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
      resources = [for b in local.grants[each.key].buckets_rw : "${var.bucket_arns[b]}/*"]
    }
  }
  dynamic "statement" {
    for_each = length(local.grants[each.key].buckets_ro) > 0 ? [1] : []
    content {
      sid       = "ReadObjects"
      actions   = ["s3:GetObject"]
      resources = [for b in local.grants[each.key].buckets_ro : "${var.bucket_arns[b]}/*"]
    }
  }
  dynamic "statement" {
    for_each = length(concat(local.grants[each.key].buckets_rw, local.grants[each.key].buckets_ro)) > 0 ? [1] : []
    content {
      sid       = "ListBuckets"
      actions   = ["s3:ListBucket"]
      resources = [for b in concat(local.grants[each.key].buckets_rw, local.grants[each.key].buckets_ro) : var.bucket_arns[b]]
    }
  }
  dynamic "statement" {
    for_each = local.grants[each.key].sqs_send ? [1] : []
    content {
      sid       = "SendTrackerEvents"
      actions   = ["sqs:SendMessage", "sqs:GetQueueUrl"]
      resources = values(var.tracker_queue_arns)
    }
  }
  dynamic "statement" {
    for_each = local.grants[each.key].sqs_consume ? [1] : []
    content {
      sid       = "DrainTrackerQueues"
      actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"]
      resources = values(var.tracker_queue_arns)
    }
  }
  dynamic "statement" {
    for_each = local.grants[each.key].ses ? [1] : []
    content {
      sid       = "SendEmail"
      actions   = ["ses:SendEmail", "ses:SendRawEmail"]
      resources = [var.ses_identity_arn]
    }
  }
  dynamic "statement" {
    for_each = local.grants[each.key].athena ? [1] : []
    content {
      sid       = "QueryLake"
      actions   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "glue:GetTable", "glue:GetTables", "glue:GetDatabase", "glue:GetPartitions"]
      resources = ["arn:${data.aws_partition.current.partition}:athena:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:workgroup/${var.name}-analytics", "arn:${data.aws_partition.current.partition}:glue:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:*"]
    }
  }
  # The API checks a staff member is still enabled before each write, and erasure finds and
  # deletes the customer's login.
  dynamic "statement" {
    for_each = each.key == "api" ? [1] : []
    content {
      sid       = "ManageLogins"
      actions   = ["cognito-idp:AdminGetUser", "cognito-idp:ListUsers", "cognito-idp:AdminDeleteUser"]
      resources = ["arn:${data.aws_partition.current.partition}:cognito-idp:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:userpool/*"]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  for_each = local.deployables
  role     = aws_iam_role.task[each.key].id
  policy   = data.aws_iam_policy_document.task[each.key].json
}

resource "aws_iam_role" "execution" {
  for_each           = local.deployables
  name               = "${var.name}-${each.key}-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_assume.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  for_each   = local.deployables
  role       = aws_iam_role.execution[each.key].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  for_each = local.deployables
  statement {
    actions   = ["ssm:GetParameters", "secretsmanager:GetSecretValue"]
    resources = length(var.secrets) > 0 ? values(var.secrets) : ["arn:${data.aws_partition.current.partition}:ssm:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:parameter${var.ssm_prefix}/none"]
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arns["secrets"]]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  for_each = local.deployables
  role     = aws_iam_role.execution[each.key].id
  policy   = data.aws_iam_policy_document.execution_secrets[each.key].json
}
