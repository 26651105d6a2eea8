#!/usr/bin/env node
/**
 * `npm test`: the browser tests against the real local stack, started once.
 *
 * 1. `uv run ff dev --port $API` from the repository root (its state and logs under
 *    portals/e2e/.run/ff): the API, workers, moto's Cognito pools with the demo users, the
 *    stand-ins and demo data; it needs the ports `ff dev` uses, so stop a running ./scripts/dev.sh.
 * 2. Both portals with `next start` (built by `npm run build`; built here when missing) on
 *    127.0.0.1:3100 (customer) and :3101 (staff), pointed at that API and those pools.
 * 3. `playwright test`; then everything it started is stopped.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const portals = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const root = resolve(portals, "..");
const run = join(portals, "e2e", ".run");
const devDir = join(run, "ff");
const API_PORT = Number(process.env.FF_E2E_API_PORT ?? 8090);
const PORTS = { customer: 3100, staff: 3101 };
const started = [];

function log(message) {
  console.log(`[e2e] ${message}`);
}

function start(name, command, args, options) {
  const out = openSync(join(run, `${name}.log`), "a");
  const child = spawn(command, args, { ...options, stdio: ["ignore", out, out], detached: true });
  child.on("error", (error) => console.error(`[e2e] ${name}: ${error.message}`));
  started.push({ name, child });
  return child;
}

function stopAll() {
  for (const { child } of started.reverse()) {
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
    }
  }
}

async function waitFor(what, check, seconds) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    for (const { name, child } of started) {
      if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}); see ${join(run, `${name}.log`)}`);
    }
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function main() {
  rmSync(run, { recursive: true, force: true });
  mkdirSync(run, { recursive: true });
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };

  for (const app of ["customer", "staff"]) {
    if (!existsSync(join(portals, app, ".next", "BUILD_ID"))) {
      log(`building ${app}`);
      const built = spawnSync("npm", ["run", "build", "-w", `@ff/${app}`], { cwd: portals, env, stdio: "inherit" });
      if (built.status !== 0) throw new Error(`next build failed for ${app}`);
    }
  }

  log(`starting ff dev (API on 127.0.0.1:${API_PORT})`);
  // The repository's venv (scripts/bootstrap.sh makes it) when there, else through uv.
  const venvFf = join(root, ".venv", "bin", "ff");
  const [command, ...prefix] = existsSync(venvFf) ? [venvFf] : ["uv", "run", "ff"];
  start("ff-dev", command, [...prefix, "dev", "--no-portals", "--port", String(API_PORT)], {
    cwd: root,
    // Every browser test comes from this one address: the per-address limits are raised.
    env: {
      ...env,
      FF_DEV_DIR: devDir,
      FF_API_PUBLIC_RATE_LIMIT_PER_MINUTE: "100000",
      FF_API_CUSTOMER_WRITE_RATE_LIMIT_PER_MINUTE: "100000",
      // The provider's hosted pages and the bank journey return to the customer portal under test.
      FF_PAYMENTS_RETURN_URL: `http://127.0.0.1:${PORTS.customer}/return/payments`,
      FF_OBV_CALLBACK_URL: `http://127.0.0.1:${PORTS.customer}/return/open-banking`,
    },
  });
  const statePath = join(devDir, "dev.json");
  await waitFor("ff dev", async () => existsSync(statePath), 420);
  const state = JSON.parse(readFileSync(statePath, "utf8"));
  log(`stack ready: ${state.api_url}`);

  for (const [app, port] of Object.entries(PORTS)) {
    const pool = state.pools[app === "customer" ? "customer" : "staff"];
    start(app, "npx", ["next", "start", "-H", "127.0.0.1", "-p", String(port)], {
      cwd: join(portals, app),
      env: {
        ...env,
        FF_API_URL: state.api_url,
        FF_COGNITO_ENDPOINT: state.aws_endpoint_url,
        FF_COGNITO_REGION: state.aws_region,
        FF_COGNITO_CLIENT_ID: pool.client_id,
      },
    });
  }
  for (const [app, port] of Object.entries(PORTS)) {
    await waitFor(`the ${app} portal`, async () => (await fetch(`http://127.0.0.1:${port}/sign-in`)).ok, 120);
  }
  log("portals ready; running playwright");
  const result = spawnSync("npx", ["playwright", "test", ...process.argv.slice(2)], {
    cwd: portals,
    stdio: "inherit",
    env: {
      ...env,
      FF_CUSTOMER_URL: `http://127.0.0.1:${PORTS.customer}`,
      FF_STAFF_URL: `http://127.0.0.1:${PORTS.staff}`,
      FF_DEMO_PASSWORD: process.env.FF_DEMO_PASSWORD ?? "Demo-Passw0rd!",
    },
  });
  return result.status ?? 1;
}

let status = 1;
try {
  status = await main();
} catch (error) {
  console.error(`[e2e] ${error instanceof Error ? error.message : error}`);
} finally {
  stopAll();
}
process.exit(status);
