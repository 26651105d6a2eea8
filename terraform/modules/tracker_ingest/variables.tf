variable "name" {
  type = string
}

variable "image_uri" {
  type        = string
  description = "The tracker-ingest image (docker/Dockerfile target `lambda`)"
}

variable "queue_urls" {
  type        = map(string)
  description = "Routing environment -> FIFO queue URL"
}

variable "queue_arns" {
  type = map(string)
}

variable "kms_key_arn" {
  type = string
}

variable "logs_kms_key_arn" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "vpc_cidr" {
  type = string
}

variable "private_subnet_ids" {
  type = list(string)
}

variable "cors_origins" {
  type = list(string)
}

variable "environment_variables" {
  type    = map(string)
  default = {}
}

variable "reserved_concurrency" {
  type    = number
  default = 50
}

variable "throttle_rate" {
  type    = number
  default = 200
}

variable "throttle_burst" {
  type    = number
  default = 400
}

variable "alarm_topic_arn" {
  type = string
}
