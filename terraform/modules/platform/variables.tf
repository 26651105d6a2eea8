variable "name" {
  type        = string
  description = "Prefix of every resource name, e.g. ff-production"
}

variable "environment" {
  type        = string
  description = "dev, staging or production"
}

variable "vpc_id" {
  type        = string
  description = "The VPC the stores live in"
}

variable "vpc_cidr" {
  type        = string
  description = "The VPC's CIDR (store security groups admit it)"
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Subnets of the stores"
}

variable "production" {
  type        = bool
  description = "Multi-AZ stores, deletion protection, longer retention"
  default     = false
}

variable "postgres_instance_class" {
  type    = string
  default = "db.t4g.medium"
}

variable "sqlserver_instance_class" {
  type    = string
  default = "db.m6i.large"
}

variable "redis_node_type" {
  type    = string
  default = "cache.t4g.small"
}

variable "ses_domain" {
  type        = string
  description = "The domain e-mails are sent from"
}

variable "tracker_environments" {
  type        = list(string)
  description = "The tracker's routing environments: one FIFO queue (with its DLQ) each"
  default     = ["production"]
}

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic that receives alarms"
}

variable "staff_callback_urls" {
  type        = list(string)
  description = "The staff portal's sign-in callback URLs"
}

variable "customer_callback_urls" {
  type        = list(string)
  description = "The customer portal's sign-in callback URLs"
}

variable "backup_retention_days" {
  type        = number
  description = "RDS automated backups kept this many days"
  default     = 14
}

variable "upload_origins" {
  type        = list(string)
  description = "The customer portal's origins: browsers upload documents from them with presigned POSTs"
}
