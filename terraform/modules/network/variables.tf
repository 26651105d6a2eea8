variable "name" {
  type        = string
  description = "Prefix of every resource name, e.g. ff-production"
}

variable "cidr" {
  type        = string
  description = "The VPC's CIDR block (a /16)"
}

variable "az_count" {
  type        = number
  description = "How many availability zones to spread subnets over"
  default     = 2
}

variable "single_nat_gateway" {
  type        = bool
  description = "One NAT gateway for every AZ (cheaper; dev and staging)"
  default     = true
}

variable "logs_kms_key_arn" {
  type        = string
  description = "KMS key that encrypts the flow-log group"
}

variable "availability_zones" {
  type        = list(string)
  description = "The zones subnets go in, named explicitly so a new zone never moves a subnet"
  default     = ["eu-west-2a", "eu-west-2b", "eu-west-2c"]
}
