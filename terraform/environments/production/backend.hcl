# The production environment's state: `terraform -chdir=terraform/stack init -backend-config=../environments/production/backend.hcl`.
bucket       = "fairfinance-terraform-state"
key          = "environments/production/terraform.tfstate"
region       = "eu-west-2"
encrypt      = true
use_lockfile = true
