import { expect, test } from "@playwright/test";
import { randomUUID } from "node:crypto";

import { STAFF, checkAccessibility, screenshot, signIn } from "./helpers";
import { API } from "./staff-helpers";

test.describe.configure({ mode: "serial" });
// The staff portal is a desk tool: its pages are judged and pictured at a laptop's width.
test.use({ viewport: { width: 1280, height: 900 } });

interface Funnel {
  sessions: number;
}

/** One journey through the tracker's public ingestion endpoint: two steps reached, one left. */
async function trackJourney(request: import("@playwright/test").APIRequestContext): Promise<void> {
  const session = `e2e-sess-${randomUUID().slice(0, 12)}`;
  const anonymous = `e2e-anon-${randomUUID().slice(0, 12)}`;
  const base = Date.now() - 60_000;
  const events = [
    { type: "page_view", context: { utm_source: "e2e", device_class: "desktop" } },
    { type: "step_view", step: "loan" },
    { type: "step_complete", step: "loan" },
    { type: "step_view", step: "personal" },
  ].map((e, i) => ({
    event_id: `${session}-${i}`,
    session_id: session,
    anonymous_id: anonymous,
    form: "application",
    client_time: new Date(base + i * 5_000).toISOString(),
    ...e,
  }));
  const response = await request.post(`${API}/v1/track`, { data: { events } });
  expect(response.ok(), await response.text()).toBe(true);
}

test("an analyst sees no approve button and gets the analytics pages, where the funnel shows a new journey", async ({ page }) => {
  await signIn(page, STAFF, "analyst@example.com");
  await expect(page.getByRole("heading", { name: /Welcome/ })).toBeVisible();
  await expect(page.getByRole("button", { name: "Approve", exact: true })).toHaveCount(0);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Queue" })).toHaveCount(0);
  await expect(nav.getByRole("link", { name: "Funnel" })).toBeVisible();

  // An application's page refuses the analyst, and still shows no action.
  await page.goto(`${STAFF}/applications/00000000-0000-0000-0000-000000000000`);
  await expect(page.getByText("You do not have access to applications.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Approve", exact: true })).toHaveCount(0);

  const funnelUrl = `${STAFF}/api/v1/staff/analytics/funnel?form=application`;
  const before = ((await (await page.request.get(funnelUrl)).json()) as Funnel).sessions;
  await trackJourney(page.request);
  // The tracker's worker merges sessions from its queue: wait until the journey is counted.
  await expect.poll(async () => ((await (await page.request.get(funnelUrl)).json()) as Funnel).sessions, { timeout: 60_000 }).toBeGreaterThan(before);

  await nav.getByRole("link", { name: "Funnel" }).click();
  await expect(page.getByRole("heading", { name: "Application funnel" })).toBeVisible();
  await expect(page.getByTestId("funnel-summary")).toContainText(/[1-9]\d* sessions? started/);
  await expect(page.getByTestId("chart").locator("svg").first()).toBeVisible();
  await expect(page.getByRole("table", { name: "Funnel steps" })).toContainText("Loan");
  await checkAccessibility(page, "the funnel");
  await screenshot(page, "staff-funnel");

  await nav.getByRole("link", { name: "Reports" }).click();
  await expect(page.getByRole("heading", { name: "Reports", exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Data platform runs" })).toBeVisible();
  await checkAccessibility(page, "the reports");
  await screenshot(page, "staff-reports");

  await nav.getByRole("link", { name: "Marketing" }).click();
  await expect(page.getByRole("heading", { name: "Marketing (Google Analytics)" })).toBeVisible();
  await expect(page.getByTestId("chart").locator("svg").first()).toBeVisible();
  await checkAccessibility(page, "marketing");
  await screenshot(page, "staff-marketing");
});

test("the AI analyst's answer streams into the chat", async ({ page }) => {
  await signIn(page, STAFF, "analyst@example.com");
  await page.goto(`${STAFF}/analyst`);
  await expect(page.getByRole("heading", { name: "AI analyst" })).toBeVisible();
  await checkAccessibility(page, "the analyst");
  await page.getByLabel("Your question").fill("Why did approvals drop last month?");
  await page.getByRole("button", { name: "Ask" }).click();
  const answer = page.getByTestId("analyst-answer").last();
  await expect(page.getByRole("article").last()).toHaveAttribute("aria-busy", "false", { timeout: 60_000 });
  await expect(answer).not.toBeEmpty();
  await expect(page.getByText(/\d+\.\d\dp$/)).toBeVisible();
  await checkAccessibility(page, "an answer");
  await screenshot(page, "staff-analyst-chat");
});
