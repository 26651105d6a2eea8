import { expect, type Page } from "@playwright/test";

import { STAFF } from "./helpers";

/** The API of the stack `npm test` started (run.mjs: FF_E2E_API_PORT, default 8090). */
export const API = `http://127.0.0.1:${process.env.FF_E2E_API_PORT ?? 8090}`;

/** Waits until an opening dialogue has finished fading in, so axe judges its real contrast. */
export async function dialogueSettled(page: Page): Promise<void> {
  await expect(page.getByRole("dialog")).toBeVisible();
  await page.waitForFunction(() => {
    const container = document.querySelector(".MuiDialog-container");
    return container !== null && getComputedStyle(container).opacity === "1";
  });
}

/**
 * Runs a review action until it lands: the workers keep a fresh application moving (CRM sync,
 * checks), so a stale version is likely; the portal reloads and says so, and the reviewer tries
 * again on the reloaded record.
 */
export async function untilDone(page: Page, label: string, attempt: () => Promise<void>): Promise<void> {
  const done = page.getByText(`${label}: done.`);
  const stale = page.getByText("Someone else changed this application");
  for (let tries = 1; tries <= 5; tries += 1) {
    await attempt();
    await expect(done.or(stale)).toBeVisible();
    if (await done.isVisible()) return;
  }
  await expect(done).toBeVisible();
}

/** The seeded application of the second demo customer above the four-eyes threshold (£2,000). */
export async function seededLargeApplication(page: Page): Promise<{ id: string; reference: string }> {
  const response = await page.request.get(`${STAFF}/api/v1/staff/applications?q=demo.customer2%40example.com&status=in_review&sort=-amount&limit=10`);
  expect(response.ok()).toBe(true);
  const items = ((await response.json()) as { items: { id: string; reference: string; amount_pence: number | null }[] }).items;
  const large = items.find((a) => a.amount_pence === 200_000);
  expect(large, "the seeded £2,000 application").toBeDefined();
  return large as { id: string; reference: string };
}
