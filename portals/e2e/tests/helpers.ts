import AxeBuilder from "@axe-core/playwright";
import { expect, type Page } from "@playwright/test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

export const CUSTOMER = process.env.FF_CUSTOMER_URL ?? "http://127.0.0.1:3100";
export const STAFF = process.env.FF_STAFF_URL ?? "http://127.0.0.1:3101";
export const PASSWORD = process.env.FF_DEMO_PASSWORD ?? "Demo-Passw0rd!";
const SCREENSHOTS = join(__dirname, "..", "..", "..", "docs", "screenshots");

async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join("; ")}`);
}

/** axe-core over the page once it is still: no serious or critical WCAG 2.2 A/AA violation.
 * A finding is looked at again after the page's transitions have had time to end (a menu
 * fading out is half-transparent for a moment on a loaded machine); one that stays fails. */
export async function checkAccessibility(page: Page, where: string): Promise<void> {
  await expect(page.locator(".MuiPopover-root, .MuiMenu-root")).toHaveCount(0);
  let bad = await seriousViolations(page);
  for (let retry = 0; retry < 3 && bad.length > 0; retry++) {
    await page.waitForTimeout(500);
    bad = await seriousViolations(page);
  }
  expect(bad, `accessibility on ${where}`).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export async function choose(page: Page, label: string, option: string): Promise<void> {
  await page.getByRole("combobox", { name: label }).click();
  await page.getByRole("option", { name: option, exact: true }).click();
  // The menu fades out: wait until it is gone, or axe would judge its half-transparent options.
  await expect(page.getByRole("listbox")).toHaveCount(0);
  await expect(page.locator(".MuiPopover-root, .MuiMenu-root")).toHaveCount(0);
}

export async function signIn(page: Page, base: string, email: string): Promise<void> {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/sign-in"));
}
