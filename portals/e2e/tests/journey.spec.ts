import { expect, test } from "@playwright/test";

import { CUSTOMER, STAFF, checkAccessibility, choose, screenshot, signIn } from "./helpers";

test.describe.configure({ mode: "serial" });

let reference = "";

test("a customer gets a quote, applies through every step, submits and reads the decision", async ({ page, context }) => {
  await page.goto(CUSTOMER);
  await page.getByLabel("How much would you like to borrow (£)?").fill("1000");
  await page.getByLabel("Over how many months?").fill("12");
  await page.getByRole("button", { name: "Show my quote" }).click();
  await expect(page.getByTestId("quote")).toContainText("a month for 12 months");
  await checkAccessibility(page, "the quote calculator");
  await screenshot(page, "customer-quote");

  await page.goto(`${CUSTOMER}/sign-in`);
  await checkAccessibility(page, "sign-in");
  await signIn(page, CUSTOMER, "demo.customer@example.com");
  const cookies = await context.cookies();
  const access = cookies.find((c) => c.name === "ff_access");
  expect(access?.httpOnly).toBe(true);
  expect(access?.secure).toBe(true);
  expect(await page.evaluate(() => window.localStorage.length + window.sessionStorage.length)).toBe(0);

  await page.goto(`${CUSTOMER}/apply`);
  await page.getByRole("button", { name: "Start your application" }).click();

  // Your loan: an amount outside the product is caught in the browser, from the step's schema.
  await expect(page.getByRole("heading", { name: "Your loan" })).toBeVisible();
  await page.getByLabel("How much would you like to borrow (£)?").fill("25");
  await page.getByLabel("Over how many months?").fill("12");
  await choose(page, "What is the loan for?", "Household");
  await page.getByRole("button", { name: "Save and continue" }).click();
  await expect(page.getByText("There is a problem")).toBeVisible();
  await expect(page.getByText("Enter an amount between £200.00 and £3,000.00").first()).toBeVisible();
  await checkAccessibility(page, "a step with a field error");
  await screenshot(page, "customer-field-error");
  await page.getByLabel("How much would you like to borrow (£)?").fill("1000");
  await page.getByRole("button", { name: "Save and continue" }).click();

  await expect(page.getByRole("heading", { name: "About you" })).toBeVisible();
  await choose(page, "Title", "Ms");
  await page.getByLabel("First name").fill("Amelia");
  await page.getByLabel("Last name").fill("O'Brien");
  await page.getByLabel("Date of birth").fill("1990-05-14");
  await page.getByLabel("Email address").fill("amelia.obrien@example.com");
  await page.getByLabel("Mobile number").fill("07700 900123");
  await choose(page, "Marital status", "Single");
  await page.getByLabel("Number of dependants").fill("0");
  await checkAccessibility(page, "about you");
  await page.getByRole("button", { name: "Save and continue" }).click();

  await expect(page.getByRole("heading", { name: "Where you live" })).toBeVisible();
  await page.getByLabel("Postcode").fill("SW1A 1AA");
  await page.getByLabel("Address line 1").fill("10 High Street");
  await page.getByLabel("Town or city").fill("London");
  await page.getByLabel("Years at this address").fill("4");
  await page.getByLabel("And months").fill("0");
  await page.getByRole("button", { name: "Save and continue" }).click();

  await expect(page.getByRole("heading", { name: "Your income" })).toBeVisible();
  await choose(page, "Employment status", "Employed full time");
  await page.getByLabel("Employer or business name").fill("Acme Logistics Ltd");
  await page.getByLabel("Take-home pay each month (£)").fill("1850");
  await choose(page, "How often are you paid?", "Monthly");
  await page.getByRole("button", { name: "Save and continue" }).click();

  await expect(page.getByRole("heading", { name: "Your outgoings" })).toBeVisible();
  const outgoings: [string, string][] = [
    ["Rent or mortgage each month (£)", "650"],
    ["Council tax each month (£)", "120"],
    ["Energy, water, phone and broadband each month (£)", "150"],
    ["Food and household essentials each month (£)", "250"],
    ["Travel and car costs each month (£)", "100"],
    ["Childcare each month (£)", "0"],
    ["Repayments on other loans and cards each month (£)", "50"],
    ["Other essential spending each month (£)", "50"],
  ];
  for (const [label, value] of outgoings) await page.getByLabel(label).fill(value);
  await page.getByRole("button", { name: "Save and continue" }).click();

  await expect(page.getByRole("heading", { name: "Your bank account" })).toBeVisible();
  await page.getByLabel("Sort code").fill("12-34-56");
  await page.getByLabel("Account number").fill("12345678");
  await page.getByRole("button", { name: "Save and continue" }).click();

  await expect(page.getByRole("heading", { name: "Declarations" })).toBeVisible();
  await page.getByLabel("I agree to a credit search").check();
  await page.getByLabel("I accept the terms and the privacy notice").check();
  await choose(page, "Are you currently in bankruptcy, an IVA or a debt relief order?", "None of these");
  await checkAccessibility(page, "declarations");
  await page.getByRole("button", { name: "Save and continue" }).click();

  await expect(page.getByRole("heading", { name: "Check and submit" })).toBeVisible();
  await page.getByRole("button", { name: "Submit my application" }).click();
  await expect(page.getByRole("heading", { name: "We have your application" })).toBeVisible();
  // Under review until a person decides: the engine's outcome is for staff only.
  await expect(page.getByText(/An underwriter is checking your application/)).toBeVisible();
  reference = ((await page.getByText(/^Reference /).textContent()) ?? "").replace("Reference ", "").trim();
  expect(reference).toMatch(/^FF-/);
  await checkAccessibility(page, "the decision");
  await screenshot(page, "customer-decision");

  await page.goto(`${CUSTOMER}/loans`);
  await expect(page.getByRole("heading", { name: "Your loans" })).toBeVisible();
  await checkAccessibility(page, "loans");
  await screenshot(page, "customer-loans");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  expect((await context.cookies()).find((c) => c.name === "ff_access")).toBeUndefined();
});

test("an underwriter finds the application in the queue and approves it", async ({ page }) => {
  expect(reference).not.toBe("");
  await signIn(page, STAFF, "underwriter@example.com");
  await page.setViewportSize({ width: 1280, height: 900 });
  await expect(page.getByRole("heading", { name: "Review queue" })).toBeVisible();
  await expect(page.getByLabel("Applications by status")).toContainText("In review");
  await checkAccessibility(page, "the review queue");
  await screenshot(page, "staff-queue");
  await page.getByLabel("Search name, email or reference").fill(reference);
  await page.getByRole("link", { name: reference }).click();

  await expect(page.getByRole("heading", { name: `Application ${reference}` })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Decision trace" })).toBeVisible();
  await checkAccessibility(page, "the application's detail");
  await page.getByRole("button", { name: "Assign to me" }).click();
  await expect(page.getByText("Assigned to: underwriter@example.com")).toBeVisible();
  // The workers keep the record moving after submission (CRM sync, checks), so a stale version
  // is likely here: the portal reloads the record and says so; the underwriter tries again.
  const done = page.getByText("Approve: done.");
  const stale = page.getByText("Someone else changed this application");
  for (let attempt = 1; attempt <= 5; attempt += 1) {
    await page.getByRole("button", { name: "Approve", exact: true }).click();
    await expect(page.getByRole("dialog")).toBeVisible();
    // Let the dialogue finish fading in before axe judges its contrast.
    await page.waitForFunction(() => {
      const container = document.querySelector(".MuiDialog-container");
      return container !== null && getComputedStyle(container).opacity === "1";
    });
    if (attempt === 1) await checkAccessibility(page, "the approve dialogue");
    await page.getByRole("button", { name: "Approve and make the offer" }).click();
    await expect(done.or(stale)).toBeVisible();
    if (await done.isVisible()) break;
    await checkAccessibility(page, "a stale version reloaded");
  }
  await expect(done).toBeVisible();
  await expect(page.getByText("Offered", { exact: true })).toBeVisible();
  await expect(page.getByRole("button", { name: "Approve", exact: true })).toHaveCount(0);
  await screenshot(page, "staff-detail");
});

test("the customer sees the offer in plain words", async ({ page }) => {
  await signIn(page, CUSTOMER, "demo.customer@example.com");
  await page.goto(`${CUSTOMER}/apply`);
  await page.goto(CUSTOMER);
  // The latest application is reached from its own page: find it through the API via the portal.
  const list = await page.request.get(`${CUSTOMER}/api/v1/applications`);
  const items = ((await list.json()) as { items: { id: string; reference: string }[] }).items;
  const mine = items.find((a) => a.reference === reference);
  expect(mine).toBeDefined();
  await page.goto(`${CUSTOMER}/applications/${mine?.id}`);
  await expect(page.getByRole("heading", { name: "Good news: we can offer you a loan" })).toBeVisible();
  await checkAccessibility(page, "the offer");
  await screenshot(page, "customer-offer");
});

test("an analyst cannot see the approve button", async ({ page }) => {
  await signIn(page, STAFF, "analyst@example.com");
  await expect(page.getByRole("heading", { name: /Welcome/ })).toBeVisible();
  await expect(page.getByText("does not include reviewing applications")).toBeVisible();
  await expect(page.getByRole("button", { name: "Approve", exact: true })).toHaveCount(0);
  await checkAccessibility(page, "the analyst's home");
  await screenshot(page, "staff-analyst");
});
