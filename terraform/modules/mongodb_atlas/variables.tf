variable "name" {
  type = string
}

variable "atlas_project_id" {
  type        = string
  description = "The Atlas project of this environment"
}

variable "atlas_region" {
  type        = string
  description = "Atlas's name of the AWS region, e.g. EU_WEST_2"
  default     = "EU_WEST_2"
}

variable "instance_size" {
  type    = string
  default = "M10"
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
