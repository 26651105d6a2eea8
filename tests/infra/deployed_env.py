"""The environment each deployment gives the platform, read from its files without running
terraform or helm (tests/infra/test_infra_production_settings.py checks it in production).

Terraform expressions become representative values: a stack variable its production value
(environments/production), a gateway output its URL (the module's own template), the SSM prefix
its path, an ECS secret the parameter's value, any other platform output (ids, names, ARNs of
AWS resources) a name. The chart's env entries are evaluated from values.yaml plus what an
environment's values file sets (helm/fair-finance/ci/production-values.yaml, which CI renders
the chart with). An expression of a shape these readers do not know fails, so a new one is
taught here rather than waved through.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from tests.infra.test_infra_helm import CHART, values
from tests.infra.test_infra_terraform import TF, parse, stack, unquote

from ff_shared.settings import load_settings, production_problems

COGNITO = {
    "FF_COGNITO_CUSTOMER_POOL_ID": "eu-west-2_customers",
    "FF_COGNITO_CUSTOMER_CLIENT_ID": "customer-client",
    "FF_COGNITO_STAFF_POOL_ID": "eu-west-2_staff",
    "FF_COGNITO_STAFF_CLIENT_ID": "staff-client",
}


def _required() -> tuple[str, ...]:
    """Every variable production start-up refuses at its local default."""
    settings = load_settings({**COGNITO, "FF_ENVIRONMENT": "production"})
    return tuple(sorted({problem.split(" ", 1)[0] for problem in production_problems(settings)}))


REQUIRED = _required()


def problems(env: Mapping[str, str]) -> list[str]:
    return production_problems(load_settings(env))


# Terraform


def blocks(path: Path, kind: str) -> dict[str, Any]:
    """A file's blocks of one kind (`variable`, `output`, `module`) by unquoted name."""
    return {
        unquote(name): body for block in parse(path).get(kind, []) for name, body in block.items()
    }


def render(raw: Any, expression: Callable[[str], Any]) -> Any:
    """An HCL value as hcl2 gives it: `${expr}`, a quoted template, a list or a literal."""
    if isinstance(raw, list):
        return [render(item, expression) for item in raw]
    if not isinstance(raw, str):
        return raw
    if raw.startswith("${") and raw.endswith("}"):
        return expression(raw[2:-1])
    if raw.startswith('"') and raw.endswith('"'):
        return re.sub(r"\$\{([^{}]*)\}", lambda m: str(expression(m.group(1))), raw[1:-1])
    return raw


def literal(expression: str) -> Any:
    raise AssertionError(f"a literal was expected, not `{expression}`")


class Parameter(str):
    """An SSM parameter's ARN (below the environment's prefix) given as an ECS secret."""


def stack_variables() -> dict[str, Any]:
    """The stack's variables in production: environments/production, else the defaults."""
    declared = blocks(TF / "stack" / "variables.tf", "variable")
    chosen = parse(TF / "environments" / "production" / "terraform.tfvars")
    found: dict[str, Any] = {}
    for name, body in declared.items():
        if name in chosen:
            found[name] = render(chosen[name], literal)
        elif "default" in body:
            found[name] = render(body["default"], literal)
    return found


def gateway_output(name: str) -> Any:
    """The gateway module's output, with its instance's address a private one in the VPC."""
    module = TF / "modules" / "gateway"
    defaults = {k: v.get("default") for k, v in blocks(module / "variables.tf", "variable").items()}

    def expression(e: str) -> Any:
        if e == "aws_network_interface.gateway.private_ip":
            return "10.30.0.10"
        if match := re.fullmatch(r"var\.(\w+)", e):
            return defaults[match.group(1)]
        raise AssertionError(f"no representative value for `{e}` in gateway output {name}")

    return render(blocks(module / "outputs.tf", "output")[name]["value"], expression)


def platform_parameters() -> set[str]:
    """The SSM parameters the platform module creates, below the environment's prefix."""
    (ssm,) = parse(TF / "modules" / "platform" / "ssm.tf")["locals"]
    return set(unquote(ssm["secrets"])) | {"redis/url"}


def stack_expression(variables: Mapping[str, Any]) -> Callable[[str], Any]:
    (ssm,) = parse(TF / "modules" / "platform" / "ssm.tf")["locals"]
    prefix = render(ssm["ssm_prefix"], lambda e: variables[e.removeprefix("var.")])

    def expression(e: str) -> Any:
        if match := re.fullmatch(r"var\.(\w+)", e):
            assert match.group(1) in variables, f"var.{match.group(1)} has no production value"
            return variables[match.group(1)]
        if match := re.fullmatch(r"module\.gateway\.(\w+)", e):
            return gateway_output(match.group(1))
        if e == "module.platform.ssm_prefix":
            return prefix
        if match := re.fullmatch(r'module\.platform\.ssm_parameter_arns\["([^"]+)"\]', e):
            return Parameter(match.group(1))
        if match := re.fullmatch(r'join\("([^"]*)", concat\((var\.\w+(?:, var\.\w+)*)\)\)', e):
            lists = [expression(name) for name in match.group(2).split(", ")]
            return match.group(1).join(item for items in lists for item in items)
        references = set(re.findall(r"\b(?:var|module|local|data)\.[\w.]+", e))
        if references and all(r.startswith("module.platform.") for r in references):
            return "ff-production-" + "-".join(re.findall(r"\w+", e.split("module.platform.")[1]))
        raise AssertionError(f"no representative value for `{e}`: teach {__name__} its shape")

    return expression


def ecs_module() -> dict[str, Any]:
    (ecs,) = [m['"ecs"'] for m in stack()["module"] if '"ecs"' in m]
    return ecs


def ecs_task_definitions() -> dict[str, str]:
    """Every task definition the ecs module registers, with its deployable."""
    local = unquote(stack()["locals"][0])
    tasks = {name: name for name in local["services"]}
    tasks |= {f"{name}-once": spec["deployable"] for name, spec in local["scheduled_tasks"].items()}
    (ecs_locals,) = parse(TF / "modules" / "ecs" / "main.tf")["locals"]
    assert 'migrate = {command = ["ff", "migrate"]' in ecs_locals["task_definitions"]
    return tasks | {"migrate": "migrate"}


def ecs_environments(ecs: Mapping[str, Any] | None = None) -> dict[str, dict[str, str]]:
    """The environment each ECS task definition's container starts with, by task name."""
    ecs = ecs_module() if ecs is None else ecs
    expression = stack_expression(stack_variables())
    parameters = platform_parameters()
    common = {k: render(v, expression) for k, v in ecs.get("environment_variables", {}).items()}
    secrets: dict[str, str] = {}
    for name, raw in ecs.get("secrets", {}).items():
        parameter = render(raw, expression)
        assert isinstance(parameter, Parameter), f"{name}: an ECS secret names an SSM parameter"
        assert parameter in parameters, f"{name}: the platform creates no parameter {parameter}"
        secrets[name] = f"value of {parameter}"
    by_deployable = {
        unquote(deployable): {k: render(v, expression) for k, v in env.items()}
        for deployable, env in ecs.get("deployable_environment", {}).items()
    }
    (ecs_locals,) = parse(TF / "modules" / "ecs" / "main.tf")["locals"]
    fixed = ecs_locals["common_environment"]
    assert fixed.startswith("${merge(var.environment_variables, {"), fixed
    common |= dict(re.findall(r'(\w+) = "([^"]*)"', fixed))
    (task,) = [
        r['"aws_ecs_task_definition"']['"this"']
        for r in parse(TF / "modules" / "ecs" / "main.tf")["resource"]
        if '"aws_ecs_task_definition"' in r
    ]
    container = task["container_definitions"]
    shape = (
        "environment = [for k, v in merge(local.common_environment, lookup("
        "var.deployable_environment, each.value.deployable, {}), {FF_WORKER_NAME = "
        "each.value.deployable, FF_OBSERVABILITY_SERVICE_NAME = each.key}) : "
        "{name = k, value = v}], secrets = [for k, v in var.secrets : {name = k, valueFrom = v}]"
    )
    assert shape in container, "the container's environment changed shape: teach this test"
    environments: dict[str, dict[str, str]] = {}
    for name, deployable in ecs_task_definitions().items():
        env = {**common, **by_deployable.get(deployable, {})}
        env |= {"FF_WORKER_NAME": deployable, "FF_OBSERVABILITY_SERVICE_NAME": name}
        environments[name] = {k: str(v) for k, v in {**env, **secrets}.items()}
    return environments


# Helm

RELEASE = "ff"
# What an environment's values file sets (the chart has no default for these); CI renders with it.
OPERATOR_VALUES: dict[str, Any] = yaml.safe_load(
    (CHART / "ci" / "production-values.yaml").read_text()
)


class MissingValue(Exception):
    """A `required` value the chart was not given (helm refuses to render)."""


def merged(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def production_values() -> dict[str, Any]:
    return merged(values(), OPERATOR_VALUES)


def _lookup(path: str, chart_values: Mapping[str, Any]) -> Any:
    if path == ".Release.Name":
        return RELEASE
    assert path.startswith(".Values."), f"teach this test `{path}`"
    found: Any = chart_values
    for key in path.removeprefix(".Values.").split("."):
        found = found[key]
    return found


def _template_expression(text: str, chart_values: Mapping[str, Any]) -> Any:
    """A pipeline of the few functions ff.settingsEnv uses: required, quote, printf, join."""
    result: Any = None
    for number, stage in enumerate(text.split(" | ")):
        words = re.findall(r'"[^"]*"|\([^()]*\)|\S+', stage.strip())
        args: list[Any] = []
        for word in words[1:]:
            if word.startswith('"'):
                args.append(word[1:-1])
            elif word.startswith("("):
                args.append(_template_expression(word[1:-1], chart_values))
            else:
                args.append(_lookup(word, chart_values))
        if number:
            args.append(result)
        function = words[0]
        if function == "required":
            message, value = args
            if value is None or value == "":
                raise MissingValue(message)
            result = value
        elif function == "quote":
            (result,) = [str(a) for a in args]
        elif function == "printf":
            result = args[0].replace("%v", "%s") % tuple(args[1:])
        elif function == "join":
            separator, items = args
            result = separator.join(items)
        elif function.startswith(".") and not args:
            result = _lookup(function, chart_values)
        else:
            raise AssertionError(f"teach this test the template function `{function}`")
    return result


def helpers() -> str:
    return (CHART / "templates" / "_helpers.tpl").read_text()


def helm_settings_env(
    chart_values: Mapping[str, Any], template: str | None = None
) -> dict[str, str]:
    """ff.settingsEnv as helm renders it with these values (from _helpers.tpl, or ``template``)."""
    template = helpers() if template is None else template
    match = re.search(
        r'\{\{- define "ff.settingsEnv" -\}\}\n(.*?)\n\{\{- end -\}\}', template, re.DOTALL
    )
    assert match is not None, "_helpers.tpl defines ff.settingsEnv"
    env: dict[str, str] = {}
    active: list[bool] = []
    name: str | None = None
    for line in match.group(1).splitlines():
        if condition := re.fullmatch(r"\{\{- if (\S+) \}\}", line):
            active.append(bool(_lookup(condition.group(1), chart_values)))
        elif line == "{{- end }}":
            active.pop()
        elif entry := re.fullmatch(r"- name: (FF_[A-Z0-9_]+)", line):
            name = entry.group(1)
        elif value := re.fullmatch(r"  value: \{\{ (.+) \}\}", line):
            assert name is not None, line
            if all(active):
                env[name] = str(_template_expression(value.group(1), chart_values))
            name = None
        else:
            raise AssertionError(f"teach this test the line {line!r} of ff.settingsEnv")
    return env


def helm_components(chart_values: Mapping[str, Any]) -> list[str]:
    """Every workload that runs the platform image (each includes ff.containerCommon)."""
    components = ["api", "tracker-ingest", "migrate", *chart_values["workers"]]
    return components + [f"{task}-once" for task in chart_values["scheduled"]]


def helm_environments(
    chart_values: Mapping[str, Any], template: str | None = None
) -> dict[str, dict[str, str]]:
    template = helpers() if template is None else template
    common = template.split('{{- define "ff.containerCommon" -}}')[1]
    assert "{{- range $k, $v := .root.Values.env }}" in common
    assert '{{- include "ff.settingsEnv" .root | nindent 2 }}' in common
    for workload in ("api.yaml", "workers.yaml", "cronjobs.yaml", "migrations.yaml"):
        assert 'include "ff.containerCommon"' in (CHART / "templates" / workload).read_text()
    env = {**chart_values["env"], **helm_settings_env(chart_values, template)}
    return {
        component: env | {"FF_WORKER_NAME": component, "FF_OBSERVABILITY_SERVICE_NAME": component}
        for component in helm_components(chart_values)
    }
