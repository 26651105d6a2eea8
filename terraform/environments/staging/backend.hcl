# The staging environment's state: `terraform -chdir=terraform/stack init -backend-config=../environments/staging/backend.hcl`.
bucket       = "fairfinance-terraform-state"
key          = "environments/staging/terraform.tfstate"
region       = "eu-west-2"
encrypt      = true
use_lockfile = true
