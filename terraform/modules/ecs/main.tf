# The ECS cluster on Fargate: the API behind the ALB, one service per always-on worker, the
# scheduled runs as one-shot tasks. Every container runs the same platform image with its own
# command, a read-only root file system (a task-local volume at /tmp) and logs to CloudWatch.
locals {
  task_definitions = merge(
    { for k, v in var.services : k => { command = v.command, cpu = v.cpu, memory = v.memory, deployable = k, service = true } },
    { for k, v in var.scheduled_tasks : "${k}-once" => { command = v.command, cpu = v.cpu, memory = v.memory, deployable = v.deployable, service = false } },
    # The release runs this one-off task on the new image before any service rolls.
    { migrate = { command = ["ff", "migrate"], cpu = 256, memory = 512, deployable = "migrate", service = false } },
  )
  common_environment = merge(var.environment_variables, {
    # Every AWS environment is a real deployment: "production" refuses test-only stand-ins.
    FF_ENVIRONMENT = "production"
    FF_LOG_JSON    = "true"
    # The services run only their queues; EventBridge Scheduler owns every schedule.
    FF_WORKER_CRON_ENABLED = "false"
  })
}

resource "aws_ecs_cluster" "this" {
  name = var.name
  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE", "FARGATE_SPOT"]
  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

resource "aws_cloudwatch_log_group" "task" {
  for_each          = local.task_definitions
  name              = "/ff/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arns["logs"]
}

resource "aws_security_group" "tasks" {
  name        = "${var.name}-tasks"
  description = "ECS tasks: the ALB reaches the API; tasks reach the VPC and HTTPS out"
  vpc_id      = var.vpc_id
  ingress {
    description     = "API from the load balancer"
    from_port       = 8000
    to_port         = 8000
    protocol        = "tcp"
    security_groups = [aws_security_group.alb.id]
  }
  ingress {
    description = "Prometheus scrapes from inside the VPC"
    from_port   = 9100
    to_port     = 9100
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
  egress {
    description = "Stores, endpoints and the gateway inside the VPC"
    from_port   = 0
    to_port     = 65535
    protocol    = "tcp"
    cidr_blocks = [var.vpc_cidr]
  }
  egress {
    #checkov:skip=CKV_AWS_382:HTTPS to MongoDB Atlas, Anchor LMS, the payment provider and Claude; Dynamics and OBV go through the gateway
    description = "HTTPS to third parties"
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_ecs_task_definition" "this" {
  for_each                 = local.task_definitions
  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  task_role_arn            = aws_iam_role.task[each.value.deployable].arn
  execution_role_arn       = aws_iam_role.execution[each.value.deployable].arn
  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }
  volume {
    name = "tmp"
  }
  container_definitions = jsonencode([{
    name                   = each.key
    image                  = var.image
    essential              = true
    command                = each.value.command
    readonlyRootFilesystem = true
    stopTimeout            = 30
    privileged             = false
    user                   = "10001:10001"
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
    portMappings = each.value.deployable == "api" ? [
      { containerPort = 8000, protocol = "tcp" }, { containerPort = 9100, protocol = "tcp" }
    ] : [{ containerPort = 9100, protocol = "tcp" }]
    environment = [for k, v in merge(local.common_environment, lookup(var.deployable_environment, each.value.deployable, {}), {
      FF_WORKER_NAME                = each.value.deployable
      FF_OBSERVABILITY_SERVICE_NAME = each.key
    }) : { name = k, value = v }]
    secrets = [for k, v in var.secrets : { name = k, valueFrom = v }]
    healthCheck = each.value.service ? {
      command     = each.value.deployable == "api" ? ["CMD", "ff", "health", "api", "--url", "http://127.0.0.1:8000/health/live"] : ["CMD", "ff", "health", "worker"]
      interval    = 30
      timeout     = 10
      retries     = 3
      startPeriod = 60
    } : null
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.task[each.key].name
        awslogs-region        = data.aws_region.current.name
        awslogs-stream-prefix = each.key
      }
    }
  }])
}

resource "aws_ecs_service" "this" {
  for_each                           = var.services
  name                               = each.key
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.this[each.key].arn
  desired_count                      = each.value.desired_count
  launch_type                        = "FARGATE"
  propagate_tags                     = "SERVICE"
  enable_execute_command             = false
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = each.key == "api" ? 60 : null
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }
  dynamic "load_balancer" {
    for_each = each.key == "api" ? [1] : []
    content {
      target_group_arn = aws_lb_target_group.api.arn
      container_name   = "api"
      container_port   = 8000
    }
  }
  lifecycle {
    # Autoscaling owns the count of the scaled services.
    ignore_changes = [desired_count]
  }
}
