# Every service scales between its min and max; tracker-processor on its queues' backlog, the
# API on CPU. The other workers are scaled by hand (desired_count) or stay at their minimum.
resource "aws_appautoscaling_target" "this" {
  for_each           = { for k, v in var.services : k => v if contains(["api", "tracker-processor"], k) }
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this[each.key].name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = each.value.min_count
  max_capacity       = each.value.max_count
}

resource "aws_appautoscaling_policy" "api_cpu" {
  count              = contains(keys(var.services), "api") ? 1 : 0
  name               = "${var.name}-api-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = "ecs"
  resource_id        = aws_appautoscaling_target.this["api"].resource_id
  scalable_dimension = aws_appautoscaling_target.this["api"].scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "tracker_backlog" {
  count              = contains(keys(var.services), "tracker-processor") ? 1 : 0
  name               = "${var.name}-tracker-processor-backlog"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = "ecs"
  resource_id        = aws_appautoscaling_target.this["tracker-processor"].resource_id
  scalable_dimension = aws_appautoscaling_target.this["tracker-processor"].scalable_dimension
  target_tracking_scaling_policy_configuration {
    target_value       = var.tracker_scaling_target_messages
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    customized_metric_specification {
      dynamic "metrics" {
        for_each = var.tracker_queue_names
        content {
          id          = "q_${replace(metrics.key, "-", "_")}"
          return_data = false
          metric_stat {
            stat = "Sum"
            metric {
              namespace   = "AWS/SQS"
              metric_name = "ApproximateNumberOfMessagesVisible"
              dimensions {
                name  = "QueueName"
                value = metrics.value
              }
            }
          }
        }
      }
      metrics {
        id          = "backlog"
        label       = "visible tracker events across the environments' queues"
        expression  = "SUM([${join(",", [for k, _ in var.tracker_queue_names : "q_${replace(k, "-", "_")}"])}])"
        return_data = true
      }
    }
  }
}
