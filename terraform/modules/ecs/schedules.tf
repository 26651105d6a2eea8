# EventBridge Scheduler -> ECS RunTask: each scheduled run is the worker's cron job, once
# (`ff run TASK --once`), so a failed run is a failed task operators see and alarm on.
data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-scheduler"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    actions   = ["ecs:RunTask"]
    resources = [for k, _ in var.scheduled_tasks : "${trimsuffix(aws_ecs_task_definition.this["${k}-once"].arn, ":${aws_ecs_task_definition.this["${k}-once"].revision}")}:*"]
    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [aws_ecs_cluster.this.arn]
    }
  }
  statement {
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arns["data"]]
  }
  statement {
    actions   = ["iam:PassRole"]
    resources = concat([for r in aws_iam_role.task : r.arn], [for r in aws_iam_role.execution : r.arn])
  }
}

resource "aws_iam_role_policy" "scheduler" {
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

resource "aws_scheduler_schedule_group" "this" {
  name = var.name
}

resource "aws_scheduler_schedule" "this" {
  for_each                     = var.scheduled_tasks
  name                         = each.key
  group_name                   = aws_scheduler_schedule_group.this.name
  schedule_expression          = each.value.schedule
  schedule_expression_timezone = "UTC"
  kms_key_arn                  = var.kms_key_arns["data"]
  flexible_time_window {
    mode = "OFF"
  }
  target {
    arn      = aws_ecs_cluster.this.arn
    role_arn = aws_iam_role.scheduler.arn
    ecs_parameters {
      task_definition_arn = trimsuffix(aws_ecs_task_definition.this["${each.key}-once"].arn, ":${aws_ecs_task_definition.this["${each.key}-once"].revision}")
      launch_type         = "FARGATE"
      task_count          = 1
      network_configuration {
        subnets          = var.private_subnet_ids
        security_groups  = [aws_security_group.tasks.id]
        assign_public_ip = false
      }
    }
    retry_policy {
      maximum_retry_attempts       = 2
      maximum_event_age_in_seconds = 3600
    }
  }
}
