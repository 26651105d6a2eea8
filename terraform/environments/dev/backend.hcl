# The dev environment's state: `terraform -chdir=terraform/stack init -backend-config=../environments/dev/backend.hcl`.
bucket       = "fairfinance-terraform-state"
key          = "environments/dev/terraform.tfstate"
region       = "eu-west-2"
encrypt      = true
use_lockfile = true
