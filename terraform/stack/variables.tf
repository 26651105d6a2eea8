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

variable "staff_origins" {
  type        = list(string)
  description = "The staff portal's origins (CORS for the API, beside the customer portal's)"
  validation {
    condition     = length(var.staff_origins) > 0 && alltrue([for o in var.staff_origins : can(regex("^https://[^/]+$", o))])
    error_message = "staff_origins are https origins (no path)."
  }
}

variable "api_url" {
  type        = string
  description = "The API's public origin (https://api.fairfinance.example): OBV sends customers back to its /v1/open-banking/callback"
  validation {
    condition     = can(regex("^https://[^/]+$", var.api_url))
    error_message = "api_url is an https origin (no path)."
  }
}

variable "anchor_lms_url" {
  type        = string
  description = "Anchor LMS SOAP endpoint (https://.../AnchorCollections.svc)"
  validation {
    condition     = can(regex("^https://", var.anchor_lms_url))
    error_message = "anchor_lms_url is an https URL."
  }
}

variable "payments_url" {
  type        = string
  description = "The payment provider's API root: https://api.gocardless.com (live) or https://api-sandbox.gocardless.com"
  validation {
    condition     = can(regex("^https://", var.payments_url))
    error_message = "payments_url is an https URL."
  }
}

variable "analyst_url" {
  type        = string
  description = "Anthropic Messages API root (the staff analyst)"
  default     = "https://api.anthropic.com"
  validation {
    condition     = can(regex("^https://", var.analyst_url))
    error_message = "analyst_url is an https URL."
  }
}

variable "google_analytics_url" {
  type        = string
  description = "GA4 Data API root (the marketing reports)"
  default     = "https://analyticsdata.googleapis.com"
  validation {
    condition     = can(regex("^https://", var.google_analytics_url))
    error_message = "google_analytics_url is an https URL."
  }
}

variable "lms_sftp_host" {
  type        = string
  description = "Host name of the SFTP server publishing Anchor LMS's nightly backups"
  validation {
    condition     = can(regex("^[A-Za-z0-9.-]+$", var.lms_sftp_host)) && !can(regex("^(localhost|127\\.)", var.lms_sftp_host))
    error_message = "lms_sftp_host is a host name (not this machine)."
  }
}
