# The platform: every module wired together, one configuration for every environment.
# An environment is its backend (environments/<name>/backend.hcl: the state key) and its
# variables (environments/<name>/terraform.tfvars); scripts/deploy.sh passes both.
terraform {
  required_version = ">= 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
    mongodbatlas = {
      source  = "mongodb/mongodbatlas"
      version = "~> 1.21"
    }
  }
  # Partial configuration: bucket, key, region, encryption and locking from
  # environments/<name>/backend.hcl (`terraform init -backend-config=...`).
  backend "s3" {}
}

provider "aws" {
  region = var.region
  default_tags {
    tags = {
      Project     = "fair-finance"
      Environment = var.environment
      ManagedBy   = "terraform"
    }
  }
}

# Atlas API keys come from MONGODB_ATLAS_PUBLIC_KEY / MONGODB_ATLAS_PRIVATE_KEY in the runner.
provider "mongodbatlas" {}

locals {
  name = "ff-${var.environment}"
  # Every always-on deployable: `ff worker NAME` (the API runs granian, the image's default).
  services = {
    api = {
      command       = ["granian", "--interface", "asgi", "--factory", "--host", "0.0.0.0", "--port", "8000", "ff_api.app:app_from_env"]
      cpu           = 512
      memory        = 1024
      desired_count = var.api_count
      min_count     = var.api_count
      max_count     = var.api_max_count
    }
    core              = { command = ["ff", "worker", "core"], cpu = 256, memory = 512, desired_count = 1 }
    tracker-processor = { command = ["ff", "worker", "tracker-processor"], cpu = 256, memory = 512, desired_count = 1, min_count = 1, max_count = var.tracker_processor_max_count }
    obv-archiver      = { command = ["ff", "worker", "obv-archiver"], cpu = 256, memory = 512, desired_count = 1 }
    lms-restorer      = { command = ["ff", "worker", "lms-restorer"], cpu = 1024, memory = 4096, desired_count = 1 }
  }
  # Every scheduled run: the same code path as the worker's cron job, once.
  scheduled_tasks = {
    obv-archiver      = { command = ["ff", "run", "obv-archiver", "--once"], schedule = "cron(0/15 * * * ? *)", cpu = 256, memory = 512, deployable = "obv-archiver" }
    lms-restorer      = { command = ["ff", "run", "lms-restorer", "--once"], schedule = "cron(30 2 * * ? *)", cpu = 1024, memory = 4096, deployable = "lms-restorer" }
    tracker-extracts  = { command = ["ff", "run", "tracker-extracts", "--once"], schedule = "cron(15 2 * * ? *)", cpu = 256, memory = 1024, deployable = "tracker-processor" }
    tracker-prune     = { command = ["ff", "run", "tracker-prune", "--once"], schedule = "cron(30 3 * * ? *)", cpu = 256, memory = 512, deployable = "tracker-processor" }
    adp               = { command = ["ff", "run", "adp", "--once"], schedule = "cron(0 5 * * ? *)", cpu = 1024, memory = 4096, deployable = "adp" }
    adp-weekly-report = { command = ["ff", "run", "adp-weekly-report", "--once"], schedule = "cron(0 7 ? * MON *)", cpu = 512, memory = 1024, deployable = "adp" }
  }
}

resource "aws_sns_topic" "alarms" {
  name              = "${local.name}-alarms"
  kms_master_key_id = module.platform.kms_key_arns["data"]
}

data "aws_iam_policy_document" "alarms" {
  statement {
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "cloudwatch.amazonaws.com"]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  arn    = aws_sns_topic.alarms.arn
  policy = data.aws_iam_policy_document.alarms.json
}

module "network" {
  source             = "../modules/network"
  name               = local.name
  cidr               = var.vpc_cidr
  az_count           = var.az_count
  single_nat_gateway = var.environment != "production"
  logs_kms_key_arn   = module.platform.kms_key_arns["logs"]
}

module "platform" {
  source                   = "../modules/platform"
  name                     = local.name
  environment              = var.environment
  vpc_id                   = module.network.vpc_id
  vpc_cidr                 = module.network.cidr
  private_subnet_ids       = module.network.private_subnet_ids
  production               = var.environment == "production"
  postgres_instance_class  = var.postgres_instance_class
  sqlserver_instance_class = var.sqlserver_instance_class
  redis_node_type          = var.redis_node_type
  backup_retention_days    = var.environment == "production" ? 35 : 14
  ses_domain               = var.ses_domain
  tracker_environments     = var.tracker_environments
  alarm_topic_arn          = aws_sns_topic.alarms.arn
  customer_callback_urls   = var.customer_callback_urls
  staff_callback_urls      = var.staff_callback_urls
  upload_origins           = var.customer_origins
}

module "mongodb" {
  source             = "../modules/mongodb_atlas"
  name               = local.name
  atlas_project_id   = var.atlas_project_id
  instance_size      = var.atlas_instance_size
  vpc_id             = module.network.vpc_id
  vpc_cidr           = module.network.cidr
  private_subnet_ids = module.network.private_subnet_ids
}

module "ecs" {
  source              = "../modules/ecs"
  name                = local.name
  environment         = var.environment
  vpc_id              = module.network.vpc_id
  vpc_cidr            = module.network.cidr
  public_subnet_ids   = module.network.public_subnet_ids
  private_subnet_ids  = module.network.private_subnet_ids
  image               = "${module.platform.ecr_repository_urls["platform"]}:${var.release}"
  certificate_arn     = var.certificate_arn
  kms_key_arns        = module.platform.kms_key_arns
  bucket_arns         = module.platform.bucket_arns
  tracker_queue_arns  = module.platform.tracker_queue_arns
  tracker_queue_names = module.platform.tracker_queue_names
  ssm_prefix          = module.platform.ssm_prefix
  ses_identity_arn    = module.platform.ses_identity_arn
  alarm_topic_arn     = aws_sns_topic.alarms.arn
  services            = local.services
  scheduled_tasks     = local.scheduled_tasks
  # Secrets every process must hold: production start-up refuses a demo value of any of them,
  # whichever deployable it is. ECS reads them at launch with the execution role, so no task
  # role needs another deployable's parameter paths.
  secrets = {
    FF_REDIS_URL                       = module.platform.ssm_parameter_arns["redis/url"]
    FF_MONGO_URL                       = module.platform.ssm_parameter_arns["mongo/url"]
    FF_POSTGRES_DSN                    = module.platform.ssm_parameter_arns["postgres/dsn"]
    FF_LOANBOOK_CONNECTION_STRING      = module.platform.ssm_parameter_arns["loanbook/connection-string"]
    FF_LMS_SQLSERVER_CONNECTION_STRING = module.platform.ssm_parameter_arns["lms/sqlserver-connection-string"]
    FF_ANCHOR_LMS_PASSWORD             = module.platform.ssm_parameter_arns["anchor-lms/password"]
    FF_PAYMENTS_ACCESS_TOKEN           = module.platform.ssm_parameter_arns["payments/access-token"]
    FF_PAYMENTS_WEBHOOK_SECRET         = module.platform.ssm_parameter_arns["payments/webhook-secret"]
    FF_ANALYST_API_KEY                 = module.platform.ssm_parameter_arns["claude/api-key"]
    FF_ADP_CUSTOMER_KEY_SALT           = module.platform.ssm_parameter_arns["adp/customer-key-salt"]
  }
  environment_variables = {
    FF_AWS_REGION                 = var.region
    FF_AWS_AUDIT_KEY_ID           = module.platform.kms_key_arns["audit"]
    FF_API_TRUSTED_PROXIES        = "1"
    FF_API_CORS_ORIGINS           = join(",", concat(var.customer_origins, var.staff_origins))
    FF_COGNITO_CUSTOMER_POOL_ID   = module.platform.cognito.customer_pool_id
    FF_COGNITO_CUSTOMER_CLIENT_ID = module.platform.cognito.customer_client_id
    FF_COGNITO_STAFF_POOL_ID      = module.platform.cognito.staff_pool_id
    FF_COGNITO_STAFF_CLIENT_ID    = module.platform.cognito.staff_client_id
    FF_DOCUMENTS_BUCKET           = module.platform.bucket_names["documents"]
    FF_TRACKER_BUCKET             = module.platform.bucket_names["lake"]
    FF_LMS_BUCKET                 = module.platform.bucket_names["backups"]
    FF_LMS_RESTORE_MODE           = "rds"
    FF_LMS_SFTP_HOST              = var.lms_sftp_host
    FF_TRACKER_QUEUES             = join(",", [for env, url in module.platform.tracker_queue_urls : "${env}=${url}"])
    # Dynamics and OBV through the egress gateway, which holds their credentials.
    FF_DYNAMICS_GATEWAY_URL              = module.gateway.dynamics_gateway_url
    FF_OBV_GATEWAY_URL                   = module.gateway.obv_gateway_url
    FF_OBV_CALLBACK_URL                  = "${var.api_url}/v1/open-banking/callback"
    FF_ANCHOR_LMS_BASE_URL               = var.anchor_lms_url
    FF_PAYMENTS_BASE_URL                 = var.payments_url
    FF_ANALYST_BASE_URL                  = var.analyst_url
    FF_GOOGLE_ANALYTICS_BASE_URL         = var.google_analytics_url
    FF_OBSERVABILITY_OTLP_ENDPOINT       = var.otlp_endpoint
    FF_OBSERVABILITY_METRICS_PORT        = "9100"
    FF_OBSERVABILITY_DEPLOYMENT          = var.environment
    FF_OBSERVABILITY_TRACES_SAMPLE_RATIO = var.traces_sample_ratio
  }
  # Secrets only one deployable uses, read at start-up (`ssm:`) with that deployable's task role.
  deployable_environment = {
    api          = { FF_GOOGLE_ANALYTICS_CREDENTIALS_JSON = "ssm:${module.platform.ssm_prefix}/google-analytics/credentials" }
    lms-restorer = { FF_LMS_SFTP_PASSWORD = "ssm:${module.platform.ssm_prefix}/lms/sftp-password" }
  }
}

module "tracker_ingest" {
  source             = "../modules/tracker_ingest"
  name               = local.name
  image_uri          = "${module.platform.ecr_repository_urls["tracker-ingest"]}:${var.release}"
  queue_urls         = module.platform.tracker_queue_urls
  queue_arns         = module.platform.tracker_queue_arns
  kms_key_arn        = module.platform.kms_key_arns["data"]
  logs_kms_key_arn   = module.platform.kms_key_arns["logs"]
  vpc_id             = module.network.vpc_id
  vpc_cidr           = module.network.cidr
  private_subnet_ids = module.network.private_subnet_ids
  cors_origins       = var.customer_origins
  alarm_topic_arn    = aws_sns_topic.alarms.arn
  environment_variables = {
    FF_AWS_REGION       = var.region
    FF_API_CORS_ORIGINS = join(",", var.customer_origins)
  }
}

# The egress gateway to OBV and Dynamics (EC2, NGINX): its own module.
module "gateway" {
  source           = "../modules/gateway"
  name             = "${local.name}-gateway"
  vpc_id           = module.network.vpc_id
  public_subnet_id = module.network.public_subnet_ids[0]
  platform_cidrs   = [module.network.cidr]
  ssm_prefix       = "${module.platform.ssm_prefix}/gateway"
}

output "api_load_balancer" {
  value = module.ecs.alb_dns_name
}

output "tracker_ingest_endpoint" {
  value = module.tracker_ingest.endpoint
}

output "cluster" {
  value = module.ecs.cluster_name
}

output "task_subnet_ids" {
  value = module.ecs.private_subnet_ids
}

output "task_security_group_id" {
  value = module.ecs.task_security_group_id
}

output "service_names" {
  value = module.ecs.service_names
}

output "ecr_repositories" {
  value = module.platform.ecr_repository_urls
}

output "nat_public_ips" {
  value = module.network.nat_public_ips
}
