variable "name" {
  description = "Prefix of every resource's name (for example ff-production)."
  type        = string
}

variable "vpc_id" {
  description = "The platform's VPC."
  type        = string
}

variable "public_subnet_id" {
  description = "Public subnet the gateway runs in; its Elastic IP is the platform's one egress address to the vendors."
  type        = string
}

variable "platform_cidrs" {
  description = "The platform's subnets: the only sources the security group and the gateway's allow-list admit."
  type        = list(string)

  validation {
    condition     = length(var.platform_cidrs) > 0 && alltrue([for c in var.platform_cidrs : can(cidrnetmask(c)) && c != "0.0.0.0/0"])
    error_message = "platform_cidrs must be IPv4 CIDRs, and none may be 0.0.0.0/0."
  }
}

variable "ssm_prefix" {
  description = "SSM path holding the vendors' credentials (SecureString): <prefix>/obv/api-key and <prefix>/dynamics/client-secret. Values are put there by an operator, never by Terraform."
  type        = string

  validation {
    condition     = can(regex("^/[A-Za-z0-9_.\\-/]*[A-Za-z0-9_.\\-]$", var.ssm_prefix))
    error_message = "ssm_prefix must start with / and must not end with /."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key the SecureStrings are encrypted with (null: the aws/ssm key)."
  type        = string
  default     = null
}

variable "instance_type" {
  description = "EC2 instance type."
  type        = string
  default     = "t3.small"
}

variable "ami_id" {
  description = "AMI to run (null: the latest Amazon Linux 2023)."
  type        = string
  default     = null
}

variable "listen_port" {
  description = "Port the gateway serves the platform on."
  type        = number
  default     = 8110
}

variable "obv_url" {
  description = "Open Banking Vision API origin (https, no path)."
  type        = string
  default     = "https://api.openbankingvision.example"
}

variable "obv_rate_per_second" {
  description = "Requests per second the platform may send to OBV."
  type        = number
  default     = 10
}

variable "dynamics_url" {
  description = "Dataverse environment origin (https://org.crm11.dynamics.com)."
  type        = string
  default     = "https://fairfinance.crm11.dynamics.com"
}

variable "dynamics_token_url" {
  description = "Entra ID token endpoint origin."
  type        = string
  default     = "https://login.microsoftonline.com"
}

variable "dynamics_tenant" {
  description = "Entra ID tenant id or domain."
  type        = string
  default     = "fairfinance.onmicrosoft.com"
}

variable "dynamics_client_id" {
  description = "Client id of the platform's app registration (not a secret)."
  type        = string
  default     = "00000000-0000-0000-0000-000000000000"
}

variable "dynamics_rate_per_second" {
  description = "Requests per second to Dataverse: its service protection allows 6,000 per 5 minutes per user (20/s)."
  type        = number
  default     = 18
}

variable "dynamics_max_concurrent" {
  description = "Requests in flight to Dataverse at once (its limit is 52 per user)."
  type        = number
  default     = 50
}

variable "anchor_lms_url" {
  description = "Anchor LMS origin, when it too must see the fixed address (null: not routed)."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "How long the gateway's access and error logs are kept in CloudWatch."
  type        = number
  default     = 90
}

variable "tags" {
  description = "Tags added to every resource."
  type        = map(string)
  default     = {}
}
