variable "environment" {
  type        = string
  description = "dev, staging or production"
  validation {
    condition     = contains(["dev", "staging", "production"], var.environment)
    error_message = "environment is one of dev, staging, production."
  }
}

variable "region" {
  type    = string
  default = "eu-west-2"
}

variable "release" {
  type        = string
  description = "The image tag to run (the release workflow passes the commit SHA)"
}

variable "vpc_cidr" {
  type = string
}

variable "az_count" {
  type    = number
  default = 2
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate for the API's host name"
}

variable "ses_domain" {
  type = string
}

variable "customer_origins" {
  type        = list(string)
  description = "The customer portal's origins (CORS for the API and tracker-ingest)"
}

variable "customer_callback_urls" {
  type = list(string)
}

variable "staff_callback_urls" {
  type = list(string)
}

variable "tracker_environments" {
  type    = list(string)
  default = ["production"]
}

variable "atlas_project_id" {
  type = string
}

variable "atlas_instance_size" {
  type    = string
  default = "M10"
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

variable "api_count" {
  type    = number
  default = 2
}

variable "api_max_count" {
  type    = number
  default = 6
}

variable "tracker_processor_max_count" {
  type    = number
  default = 6
}

variable "otlp_endpoint" {
  type        = string
  description = "OTLP/HTTP endpoint of the collector sidecar or service (empty: tracing off)"
  default     = ""
}

variable "traces_sample_ratio" {
  type    = string
  default = "0.1"
}
