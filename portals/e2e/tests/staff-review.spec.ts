import { expect, test } from "@playwright/test";

import { STAFF, checkAccessibility, screenshot, signIn } from "./helpers";
import { dialogueSettled, seededLargeApplication, untilDone } from "./staff-helpers";

test.describe.configure({ mode: "serial" });
// The staff portal is a desk tool: its pages are judged and pictured at a laptop's width.
test.use({ viewport: { width: 1280, height: 900 } });

let applicationId = "";

test("an underwriter approves an application above the threshold, which then waits for a second approval", async ({ page }) => {
  await signIn(page, STAFF, "underwriter@example.com");
  await expect(page.getByRole("heading", { name: "Review queue" })).toBeVisible();
  await page.getByLabel("Search name, email or reference").fill("demo.customer2@example.com");
  const { id, reference } = await seededLargeApplication(page);
  applicationId = id;
  await expect(page.getByRole("link", { name: reference })).toBeVisible();
  await checkAccessibility(page, "the filtered review queue");
  await page.getByRole("link", { name: reference }).click();

  await expect(page.getByRole("heading", { name: `Application ${reference}` })).toBeVisible();
  for (const section of ["Decision trace", "Affordability", "Open banking", "Possible duplicates", "CRM and loan system", "Documents", "Notes", "Audit"]) {
    await expect(page.getByRole("heading", { name: section, exact: true })).toBeVisible();
  }
  // An underwriter may not give the second approval.
  await expect(page.getByRole("button", { name: "Confirm approval" })).toHaveCount(0);
  await untilDone(page, "Assign", () => page.getByRole("button", { name: "Assign to me" }).click());
  await expect(page.getByText("Assigned to: underwriter@example.com")).toBeVisible();
  await checkAccessibility(page, "the application's detail");

  let first = true;
  await untilDone(page, "Approve", async () => {
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await dialogueSettled(page);
    if (first) await checkAccessibility(page, "the approve dialogue");
    first = false;
    await page.getByLabel("Amount (£)").fill("2000");
    await page.getByLabel("Term (months)").fill("24");
    await page.getByRole("button", { name: "Approve and make the offer" }).click();
  });
  await expect(page.getByText("Awaiting second approval", { exact: true })).toBeVisible();
  await expect(page.getByText(/a second approver must confirm/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Confirm approval" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Approve", exact: true })).toHaveCount(0);
});

test("a senior underwriter confirms the approval and the offer is made", async ({ page }) => {
  expect(applicationId).not.toBe("");
  await signIn(page, STAFF, "senior.underwriter@example.com");
  await page.goto(`${STAFF}/applications/${applicationId}`);
  await expect(page.getByText("Awaiting second approval", { exact: true })).toBeVisible();
  await checkAccessibility(page, "an application awaiting the second approval");
  await untilDone(page, "Confirm approval", () => page.getByRole("button", { name: "Confirm approval" }).click());
  await expect(page.getByText("Offered", { exact: true })).toBeVisible();
  await expect(page.getByText(/Offer made: £2,000\.00 over 24 months/)).toBeVisible();
  await expect(page.getByRole("button", { name: "Confirm approval" })).toHaveCount(0);
  await checkAccessibility(page, "the offer confirmed");
  await screenshot(page, "staff-second-approval");
});

test("operations find the customer, edit the profile with an audit trail and see the loan-book operations", async ({ page }) => {
  await signIn(page, STAFF, "operations@example.com");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Customers" }).click();
  await expect(page.getByRole("heading", { name: "Customers", exact: true })).toBeVisible();
  await page.getByLabel("Search name, e-mail, phone, postcode or reference").fill("demo.customer2");
  await page.getByRole("link", { name: /Jordan|demo\.customer2/ }).first().click();
  await expect(page.getByRole("heading", { name: "Applications and CRM sync" })).toBeVisible();
  await checkAccessibility(page, "a customer's file");
  // Operations may edit and export, never erase.
  await expect(page.getByRole("button", { name: "Erase" })).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Export their data" })).toBeVisible();
  const name = `Jordan ${Date.now() % 100_000}`;
  for (let tries = 1; tries <= 3; tries += 1) {
    await page.getByRole("button", { name: "Edit profile" }).click();
    await dialogueSettled(page);
    if (tries === 1) await checkAccessibility(page, "the profile editor");
    await page.getByLabel("Preferred name").fill(name);
    await page.getByRole("button", { name: "Save" }).click();
    const outcome = page.getByText("Profile saved: done.").or(page.getByText("Someone else changed this customer"));
    await expect(outcome).toBeVisible();
    if (await page.getByText("Profile saved: done.").isVisible()) break;
  }
  await expect(page.getByRole("row", { name: new RegExp(`Preferred name ${name}`) })).toBeVisible();
  await screenshot(page, "staff-customer");

  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export their data" }).click();
  expect((await download).suggestedFilename()).toMatch(/^subject-access-.+\.json$/);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Operations" }).click();
  await expect(page.getByRole("heading", { name: "Loan-book operations" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Run the backup now" })).toBeVisible();
  await checkAccessibility(page, "loan-book operations");
  await screenshot(page, "staff-operations");
});
