# The tracker's FIFO queue per routing environment (group = session, dedup = event id), each
# with a FIFO dead-letter queue after five receives (FF_TRACKER_MAX_RECEIVES).
resource "aws_sqs_queue" "tracker_dlq" {
  for_each                  = toset(var.tracker_environments)
  name                      = "${var.name}-tracker-${each.key}-dlq.fifo"
  fifo_queue                = true
  message_retention_seconds = 1209600
  kms_master_key_id         = aws_kms_key.this["data"].arn
}

resource "aws_sqs_queue" "tracker" {
  for_each                    = toset(var.tracker_environments)
  name                        = "${var.name}-tracker-${each.key}.fifo"
  fifo_queue                  = true
  content_based_deduplication = false
  deduplication_scope         = "messageGroup"
  fifo_throughput_limit       = "perMessageGroupId"
  visibility_timeout_seconds  = 60
  message_retention_seconds   = 345600
  kms_master_key_id           = aws_kms_key.this["data"].arn
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.tracker_dlq[each.key].arn
    maxReceiveCount     = 5
  })
}

resource "aws_cloudwatch_metric_alarm" "dlq_depth" {
  for_each            = aws_sqs_queue.tracker_dlq
  alarm_name          = "${var.name}-tracker-${each.key}-dlq-not-empty"
  alarm_description   = "Tracker events were dead-lettered: inspect and redrive"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
}

resource "aws_cloudwatch_metric_alarm" "queue_age" {
  for_each            = aws_sqs_queue.tracker
  alarm_name          = "${var.name}-tracker-${each.key}-queue-age"
  alarm_description   = "The oldest tracker event has waited over 15 minutes: tracker-processor is behind"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateAgeOfOldestMessage"
  dimensions          = { QueueName = each.value.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  threshold           = 900
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alarm_topic_arn]
}
