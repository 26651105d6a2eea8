variable "name" {
  type        = string
  description = "Prefix of every resource name, e.g. ff-production"
}

variable "environment" {
  type        = string
  description = "dev, staging or production"
}

variable "vpc_id" {
  type = string
}

variable "vpc_cidr" {
  type = string
}

variable "public_subnet_ids" {
  type = list(string)
}

variable "private_subnet_ids" {
  type = list(string)
}

variable "image" {
  type        = string
  description = "The platform image (api and workers): repository URL and immutable tag"
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate of the API's host name"
}

variable "kms_key_arns" {
  type        = map(string)
  description = "data, logs and secrets keys from the platform module"
}

variable "bucket_arns" {
  type        = map(string)
  description = "documents, lake, extracts and backups"
}

variable "tracker_queue_arns" {
  type        = map(string)
  description = "The tracker FIFO queues by routing environment"
}

variable "tracker_queue_names" {
  type        = map(string)
  description = "The tracker FIFO queues' names by routing environment (scaling metric)"
}

variable "ssm_prefix" {
  type        = string
  description = "Where the environment's parameters live, e.g. /ff/production"
}

variable "secrets" {
  type        = map(string)
  description = "Container environment variable -> SSM parameter or Secrets Manager ARN"
  default     = {}
}

variable "environment_variables" {
  type        = map(string)
  description = "Plain FF_ settings every container gets (no secrets)"
  default     = {}
}

variable "deployable_environment" {
  type        = map(map(string))
  description = "FF_ settings only one deployable's containers get, by deployable: ssm: references its task role alone may read (modules/ecs/iam.tf)"
  default     = {}
}

variable "ses_identity_arn" {
  type = string
}

variable "alarm_topic_arn" {
  type = string
}

variable "services" {
  description = "Long-running ECS services: the API and every always-on worker"
  type = map(object({
    command       = list(string)
    cpu           = number
    memory        = number
    desired_count = number
    min_count     = optional(number, 1)
    max_count     = optional(number, 4)
  }))
}

variable "scheduled_tasks" {
  description = "EventBridge Scheduler -> ECS RunTask: one-shot runs (`ff run TASK --once`)"
  type = map(object({
    command    = list(string)
    schedule   = string
    cpu        = number
    memory     = number
    deployable = string
  }))
}

variable "tracker_scaling_target_messages" {
  type        = number
  description = "tracker-processor scales to keep each queue's visible backlog near this"
  default     = 500
}

variable "log_retention_days" {
  type    = number
  default = 365
}
