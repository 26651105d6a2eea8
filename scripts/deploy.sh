#!/usr/bin/env bash
# Deploy a release (an image tag already in ECR) to one environment:
#   scripts/deploy.sh ENVIRONMENT RELEASE [plan]
# 1. the migrations run as a one-off ECS task on the new image (a failure stops the deploy);
# 2. terraform apply rolls every task definition and service to the new image; a service whose
#    new tasks fail their health checks is rolled back by the ECS deployment circuit breaker.
# With `plan` it only shows what would change.
set -euo pipefail
cd "$(dirname "$0")/.."

env="${1:?environment: dev, staging or production}"
release="${2:?release: the image tag (commit SHA)}"
mode="${3:-apply}"
# One configuration (terraform/stack) for every environment; an environment is its state
# (environments/$env/backend.hcl) and its variables (environments/$env/terraform.tfvars).
dir="terraform/stack"
[ -f "terraform/environments/$env/backend.hcl" ] || { echo "deploy: no environment '$env'" >&2; exit 2; }
vars=(-var-file="../environments/$env/terraform.tfvars" -var "release=$release")

terraform -chdir="$dir" init -input=false -reconfigure -backend-config="../environments/$env/backend.hcl"
if [ "$mode" = "plan" ]; then
  exec terraform -chdir="$dir" plan -input=false -lock=false "${vars[@]}"
fi

cluster="$(terraform -chdir="$dir" output -raw cluster)"
subnets="$(terraform -chdir="$dir" output -json task_subnet_ids | jq -r 'join(",")')"
group="$(terraform -chdir="$dir" output -raw task_security_group_id)"
image="$(terraform -chdir="$dir" output -json ecr_repositories | jq -r .platform):$release"

echo "deploy: migrations on $image"
current="$(aws ecs describe-task-definition --task-definition "$cluster-migrate" --query taskDefinition)"
next="$(jq --arg image "$image" '.containerDefinitions[0].image = $image
  | {family, taskRoleArn, executionRoleArn, networkMode, containerDefinitions, volumes,
     requiresCompatibilities, cpu, memory, runtimePlatform}' <<<"$current")"
definition="$(aws ecs register-task-definition --cli-input-json "$next" \
  --query taskDefinition.taskDefinitionArn --output text)"
task="$(aws ecs run-task --cluster "$cluster" --task-definition "$definition" --launch-type FARGATE \
  --network-configuration "awsvpcConfiguration={subnets=[$subnets],securityGroups=[$group],assignPublicIp=DISABLED}" \
  --query 'tasks[0].taskArn' --output text)"
aws ecs wait tasks-stopped --cluster "$cluster" --tasks "$task"
code="$(aws ecs describe-tasks --cluster "$cluster" --tasks "$task" \
  --query 'tasks[0].containers[0].exitCode' --output text)"
if [ "$code" != "0" ]; then
  echo "deploy: migrations failed (exit $code): nothing was rolled; see /ff/$cluster/migrate" >&2
  exit 1
fi

echo "deploy: rolling services to $release"
terraform -chdir="$dir" apply -input=false -auto-approve "${vars[@]}"
for service in $(terraform -chdir="$dir" output -json service_names | jq -r '.[]'); do
  aws ecs wait services-stable --cluster "$cluster" --services "$service"
done
echo "deploy: $env runs $release"
