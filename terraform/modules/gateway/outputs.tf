output "egress_ip" {
  description = "The Elastic IP the vendors allow-list: every call to them leaves from it."
  value       = aws_eip.gateway.public_ip
}

output "private_ip" {
  description = "The gateway's stable private address."
  value       = aws_network_interface.gateway.private_ip
}

output "gateway_url" {
  description = "The gateway's root as the platform calls it."
  value       = "http://${aws_network_interface.gateway.private_ip}:${var.listen_port}"
}

output "dynamics_gateway_url" {
  description = "FF_DYNAMICS_GATEWAY_URL for the platform's tasks."
  value       = "http://${aws_network_interface.gateway.private_ip}:${var.listen_port}/dynamics/api/data/v9.2"
}

output "obv_gateway_url" {
  description = "FF_OBV_GATEWAY_URL for the platform's tasks."
  value       = "http://${aws_network_interface.gateway.private_ip}:${var.listen_port}/obv"
}

output "security_group_id" {
  description = "The gateway's security group."
  value       = aws_security_group.gateway.id
}

output "instance_id" {
  description = "The gateway's EC2 instance."
  value       = aws_instance.gateway.id
}

output "role_arn" {
  description = "The gateway's instance role."
  value       = aws_iam_role.gateway.arn
}

output "credential_parameters" {
  description = "SSM SecureString parameters an operator puts the vendors' credentials in."
  value = {
    obv_api_key            = local.obv_parameter
    dynamics_client_secret = local.token_parameter
  }
}

output "log_group_name" {
  description = "CloudWatch log group of the gateway's access, error and agent logs."
  value       = aws_cloudwatch_log_group.gateway.name
}
