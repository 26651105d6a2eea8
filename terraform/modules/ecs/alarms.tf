resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${var.name}-api-5xx-rate"
  alarm_description   = "Over 1% of API responses are 5xx: every 5xx is a bug"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
  metric_query {
    id          = "rate"
    expression  = "100 * errors / MAX([requests, 1])"
    label       = "5xx percent"
    return_data = true
  }
  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = { LoadBalancer = aws_lb.api.arn_suffix }
      stat        = "Sum"
      period      = 60
    }
  }
  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      dimensions  = { LoadBalancer = aws_lb.api.arn_suffix }
      stat        = "Sum"
      period      = 60
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "schedule_failed" {
  alarm_name          = "${var.name}-scheduled-run-not-started"
  alarm_description   = "EventBridge Scheduler could not start a scheduled run"
  namespace           = "AWS/Scheduler"
  metric_name         = "TargetErrorCount"
  dimensions          = { ScheduleGroup = aws_scheduler_schedule_group.this.name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
}

# A scheduled run that started but exited non-zero: counted into a metric, alarmed on.
resource "aws_cloudwatch_event_rule" "run_failed" {
  name        = "${var.name}-scheduled-run-failed"
  description = "A one-shot task of this cluster stopped with a non-zero exit code"
  event_pattern = jsonencode({
    source      = ["aws.ecs"]
    detail-type = ["ECS Task State Change"]
    detail = {
      clusterArn = [aws_ecs_cluster.this.arn]
      lastStatus = ["STOPPED"]
      group      = [for k, _ in var.scheduled_tasks : "family:${var.name}-${k}-once"]
      containers = { exitCode = [{ "anything-but" = 0 }] }
    }
  })
}

resource "aws_cloudwatch_event_target" "run_failed" {
  rule = aws_cloudwatch_event_rule.run_failed.name
  arn  = var.alarm_topic_arn
}

resource "aws_cloudwatch_log_metric_filter" "job_failed" {
  for_each       = var.services
  name           = "${var.name}-${each.key}-job-failed"
  log_group_name = aws_cloudwatch_log_group.task[each.key].name
  pattern        = "{ $.event = \"job_failed\" }"
  metric_transformation {
    name          = "JobFailures-${each.key}"
    namespace     = "FairFinance/${var.environment}"
    value         = "1"
    default_value = "0"
  }
}
