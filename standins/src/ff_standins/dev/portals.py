"""``ff dev``'s two web portals: the customer portal on http://127.0.0.1:3000 and the staff
portal on http://127.0.0.1:3001, each ``next dev`` pointed at the stack's API and Cognito pools.

Only the local stack starts them this way; a deployment builds and serves them on its own. They
need Node.js and the portals' npm workspace: the first run installs it from the committed lock
(``npm ci``); without npm the stack runs without portals and says so.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ff_standins.dev.supervise import Supervised, starter
from ff_standins.servers import port_open
from ff_workers.cli.devstate import DevState
from ff_workers.cli.errors import CommandError

PORTALS = {"customer": 3000, "staff": 3001}
POOL_OF = {"customer": "customer", "staff": "staff"}


def portals_dir() -> Path:
    """The npm workspace: beside the stand-ins in the repository, else under the working dir."""
    beside = Path(__file__).resolve().parents[4] / "portals"
    return beside if (beside / "package.json").exists() else Path.cwd() / "portals"


def portal_env(state: DevState, app: str) -> dict[str, str]:
    pool = state.pools[POOL_OF[app]]
    env = {
        "NEXT_TELEMETRY_DISABLED": "1",
        "FF_API_URL": state.api_url,
        "FF_COGNITO_ENDPOINT": state.aws_endpoint_url,
        "FF_COGNITO_REGION": state.aws_region,
        "FF_COGNITO_CLIENT_ID": pool.client_id,
    }
    if app == "customer":
        # moto sends no email: registrations are confirmed as they are made.
        env["FF_COGNITO_CONFIRM_LOCALLY"] = "true"
    return env


def return_urls(env: dict[str, str]) -> None:
    """Send customers back to the customer portal from the payment provider's hosted pages and
    the bank journey (unless the environment says otherwise)."""
    base = f"http://127.0.0.1:{PORTALS['customer']}"
    env.setdefault("FF_PAYMENTS_RETURN_URL", f"{base}/return/payments")
    env.setdefault("FF_OBV_CALLBACK_URL", f"{base}/return/open-banking")


def start_portals(state: DevState, logdir: Path) -> list[Supervised]:
    root = portals_dir()
    npm = shutil.which("npm")
    if npm is None or not (root / "package.json").exists():
        print("portals    not started: Node.js and npm are needed (see docs/portals.md)")
        return []
    for app, port in PORTALS.items():
        if port_open("127.0.0.1", port):
            raise CommandError(f"port {port} ({app} portal) is taken: is another `ff dev` running?")
    if not (root / "node_modules" / ".bin" / "next").exists():
        print("portals    installing the npm workspace from its lock (first run only)")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root, check=True)
    next_bin = root / "node_modules" / "next" / "dist" / "bin" / "next"
    started: list[Supervised] = []
    for app, port in PORTALS.items():
        argv = ["node", str(next_bin), "dev", "-H", "127.0.0.1", "-p", str(port)]
        env = {**portal_env(state, app), "FF_COOKIE_SECURE": "false"}
        name = f"portal-{app}"
        started.append(Supervised(name, starter(name, argv, env, logdir, cwd=root / app)))
        print(f"portal     {app} on http://127.0.0.1:{port}")
    return started
