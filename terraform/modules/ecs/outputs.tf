output "cluster_name" {
  value = aws_ecs_cluster.this.name
}

output "alb_dns_name" {
  value = aws_lb.api.dns_name
}

output "task_security_group_id" {
  value = aws_security_group.tasks.id
}

output "service_names" {
  value = { for k, v in aws_ecs_service.this : k => v.name }
}

output "task_definition_families" {
  value = { for k, v in aws_ecs_task_definition.this : k => v.family }
}

output "private_subnet_ids" {
  value = var.private_subnet_ids
}
