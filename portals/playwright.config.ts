import { defineConfig } from "@playwright/test";

/**
 * Browser tests against the real local stack: `npm test` (e2e/run.mjs) starts `ff dev` once,
 * serves both built portals with `next start`, then runs these. Debian's Chromium is driven
 * through its executable path: browser downloads are never needed.
 */
export default defineConfig({
  testDir: "e2e/tests",
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: [["list"]],
  outputDir: "e2e/.run/results",
  use: {
    viewport: { width: 412, height: 915 },
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.FF_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
});
