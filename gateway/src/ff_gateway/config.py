"""A gateway's configuration: one JSON file, read by the renderer and by the credential agent.

Secrets are never in it: only the names of the SSM parameters that hold them.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

import msgspec

_SIZE = re.compile(r"^\d+[kmKM]?$")
_PARAMETER = re.compile(r"^/[A-Za-z0-9_.\-/]+$")


class ConfigError(ValueError):
    """The configuration cannot describe a safe gateway; the message names every problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class Upstream(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where one vendor's API is, and how hard the platform may lean on it."""

    url: str
    """The vendor's origin (``https://host[:port]``); the location's path is appended as sent."""
    tls_name: str | None = None
    """Name sent as SNI and verified in the vendor's certificate (default: the URL's host)."""
    host_header: str | None = None
    """``Host`` sent to the vendor (default: the TLS name, with the port when not the default)."""
    rate_per_second: int = 10
    """Sustained requests per second the platform may send (the vendor's published quota)."""
    burst: int = 20
    """Requests above the rate queued (delayed, not refused) before the gateway answers 429."""
    max_concurrent: int = 50
    """Requests in flight at once; more are answered 429."""
    connect_timeout_seconds: float = 5.0
    """Longest wait to open a connection to the vendor (then 504)."""
    read_timeout_seconds: float = 30.0
    """Longest silence while sending to or reading from the vendor (then 504)."""
    max_body: str = "1m"
    """Largest request body passed on (nginx size: 512k, 1m); larger ones get 413."""
    keepalive: int = 16
    """Idle TLS connections kept open to the vendor per nginx worker."""

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    @property
    def scheme(self) -> str:
        return urlsplit(self.url).scheme

    @property
    def sni(self) -> str:
        return self.tls_name or self.host

    @property
    def host_value(self) -> str:
        if self.host_header:
            return self.host_header
        default_port = 443 if self.scheme == "https" else 80
        return self.sni if self.port == default_port else f"{self.sni}:{self.port}"


class ObvVendor(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    api: Upstream
    api_key_parameter: str
    """SSM parameter (SecureString) holding the OBV API key, injected as ``x-api-key``."""


class DynamicsVendor(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    api: Upstream
    """The Dataverse environment (``https://org.crm11.dynamics.com``)."""
    token: Upstream
    """The Entra ID token endpoint's origin (``https://login.microsoftonline.com``)."""
    tenant: str
    """Entra ID tenant (id or domain) in the token path."""
    client_id: str
    """The app registration's client id (not a secret)."""
    client_secret_parameter: str
    """SSM parameter (SecureString) holding the app registration's client secret."""
    scope: str
    """``https://org.crm11.dynamics.com/.default``."""
    refresh_margin_seconds: float = 300.0
    """A token is replaced this long before it expires (at half its life when that is sooner)."""


class PassThroughVendor(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A vendor that needs only the fixed egress address (Anchor LMS: its credentials travel in
    the SOAP body, so the platform keeps them)."""

    api: Upstream


class AgentConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    port: int = 8111
    """Loopback port of the credential agent (nginx's auth_request target)."""
    ssm_refresh_seconds: float = 300.0
    """How often SSM is read again, so a rotated credential is used without a restart."""
    rejected_refresh_min_seconds: float = 5.0
    """When nginx cannot say which token was refused, one is replaced at most this often."""


class SsmConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    region: str = "eu-west-2"
    endpoint_url: str | None = None
    """moto server locally and in tests; unset on the gateway host."""


class GatewayConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    listen_host: str = "0.0.0.0"  # noqa: S104 - the platform's subnets reach it; the allow-list and security group decide who
    """Interface the gateway serves the platform on."""
    listen_port: int = 8110
    allow: tuple[str, ...]
    """CIDRs allowed to call the gateway (the platform's subnets); everyone else gets 403.
    127.0.0.1 is always allowed (the agent and the host's own health checks)."""
    runtime_dir: str
    """nginx's prefix: pid file and temp paths (writable by the worker user)."""
    log_dir: str
    """Where access.log (JSON lines) and error.log go."""
    trusted_ca_file: str = "/etc/ssl/certs/ca-certificates.crt"
    """CA bundle the vendors' certificates are verified against."""
    worker_processes: str = "auto"
    user: str | None = None
    """Worker user when nginx starts as root (nginx's default, nobody, when unset)."""
    allow_plain_http_upstreams: bool = False
    """Local development only: the simulators speak plain HTTP. Refused unless set."""
    agent: AgentConfig = AgentConfig()
    ssm: SsmConfig = SsmConfig()
    obv: ObvVendor | None = None
    dynamics: DynamicsVendor | None = None
    anchor_lms: PassThroughVendor | None = None

    @property
    def loopback_url(self) -> str:
        """How processes on the gateway host reach nginx."""
        wildcard = self.listen_host in ("0.0.0.0", "::")  # noqa: S104 - a comparison
        host = "127.0.0.1" if wildcard else self.listen_host
        return f"http://{host}:{self.listen_port}"

    def upstreams(self) -> dict[str, Upstream]:
        found: dict[str, Upstream] = {}
        if self.obv is not None:
            found["obv"] = self.obv.api
        if self.dynamics is not None:
            found["dynamics"] = self.dynamics.api
            found["dynamics_token"] = self.dynamics.token
        if self.anchor_lms is not None:
            found["anchor_lms"] = self.anchor_lms.api
        return found


def validate(config: GatewayConfig) -> GatewayConfig:
    """Refuse a configuration that would make an open, unverified or broken gateway."""
    problems: list[str] = []
    if not config.allow:
        problems.append("allow: at least one CIDR is needed")
    for cidr in config.allow:
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError as exc:
            problems.append(f"allow: {cidr!r} is not a CIDR ({exc})")
            continue
        if network.prefixlen == 0:
            problems.append(f"allow: {cidr!r} admits everyone")
    for name, upstream in config.upstreams().items():
        if upstream.scheme not in ("https", "http") or not upstream.host:
            problems.append(f"{name}: {upstream.url!r} is not an http(s) origin")
        elif upstream.scheme == "http" and not config.allow_plain_http_upstreams:
            problems.append(f"{name}: {upstream.url!r} is not TLS (https only outside local dev)")
        if urlsplit(upstream.url).path not in ("", "/"):
            problems.append(f"{name}: the upstream is an origin, without a path")
        if not _SIZE.match(upstream.max_body):
            problems.append(f"{name}: max_body {upstream.max_body!r} is not an nginx size")
        if upstream.rate_per_second < 1 or upstream.burst < 0 or upstream.max_concurrent < 1:
            problems.append(f"{name}: rate, burst and concurrency must be positive")
        if upstream.max_concurrent >= 65536:
            problems.append(f"{name}: max_concurrent must be below 65536")
    parameters = []
    if config.obv is not None:
        parameters.append(config.obv.api_key_parameter)
    if config.dynamics is not None:
        parameters.append(config.dynamics.client_secret_parameter)
    problems.extend(
        f"{p!r} is not an SSM parameter name" for p in parameters if not _PARAMETER.match(p)
    )
    if not config.upstreams():
        problems.append("no vendor is configured")
    if problems:
        raise ConfigError(problems)
    return config


def load_config(path: str | Path) -> GatewayConfig:
    try:
        config = msgspec.json.decode(Path(path).read_bytes(), type=GatewayConfig)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise ConfigError([f"{path}: {exc}"]) from exc
    return validate(config)


def dump_config(config: GatewayConfig) -> bytes:
    return msgspec.json.format(msgspec.json.encode(config), indent=2)
