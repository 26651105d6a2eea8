import { type APIRequestContext, expect, type Page, request as playwrightRequest, test } from "@playwright/test";

import { CUSTOMER, PASSWORD, STAFF, checkAccessibility, choose, screenshot } from "./helpers";

/**
 * A new customer from the quote to the loan: registers and confirms through the portal,
 * applies through every step (the address history is corrected on the way), submits and reads
 * the decision and connects their bank (open banking); an underwriter approves through the staff
 * API; the customer accepts, sets up the Direct Debit on the provider's hosted page, comes back,
 * sees the loan and pays some of it now on the provider's hosted page. The form's
 * journey events reach the tracker, with consent. axe runs on every portal page visited.
 */
test.describe.configure({ mode: "serial" });

const PAYMENTS_SIM = process.env.FF_PAYMENTS_SIM_URL ?? "http://127.0.0.1:8104";
const email = `new.customer.${Date.now()}@example.com`;
const password = "Fresh-Passw0rd!";
let applicationId = "";
let reference = "";

async function next(page: Page, heading: string): Promise<void> {
  await page.getByRole("button", { name: "Save and continue" }).click();
  await expect(page.getByRole("heading", { name: heading })).toBeVisible();
}

async function staffSession(): Promise<APIRequestContext> {
  const staff = await playwrightRequest.newContext({ baseURL: STAFF });
  const signedIn = await staff.post("/api/auth/sign-in", { data: { email: "underwriter@example.com", password: PASSWORD } });
  expect(signedIn.status()).toBe(204);
  return staff;
}

/** An underwriter's review action through the staff portal's proxy, assigning first. The
 * workers move the record after submission, so a stale version is read again and the action
 * retried, as the staff portal does. */
async function act(staff: APIRequestContext, id: string, action: string, body: Record<string, unknown>): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = (await (await staff.get(`/api/v1/staff/applications/${id}`)).json()) as { version: number; assigned_to: unknown };
    const step = current.assigned_to ? action : "assign";
    const answer = await staff.post(`/api/v1/staff/applications/${id}/${step}`, { data: { ...(step === action ? body : {}), version: current.version } });
    if (!answer.ok()) expect([409, 412], `${step}: ${await answer.text()}`).toContain(answer.status());
    else if (step === action) return;
  }
  throw new Error(`${action} could not be done`);
}

async function signInAs(page: Page): Promise<void> {
  await page.goto(`${CUSTOMER}/sign-in`);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/apply/);
}

test("a new customer registers, applies with a correction on the way, submits and reads the decision", async ({ page }) => {
  // Each batch the portal sends, and the API's answer, read on its way back to the page: the
  // page's own response bodies for these `no-store` (sometimes `keepalive`) requests could not
  // be read back reliably from the browser.
  const batches: { sent: number; status: number; answer: { accepted: unknown[]; rejected: unknown[] } }[] = [];
  await page.route("**/api/v1/track", async (route) => {
    const response = await route.fetch();
    const sent = ((route.request().postDataJSON() as { events?: unknown[] } | null)?.events ?? []).length;
    batches.push({ sent, status: response.status(), answer: (await response.json()) as { accepted: unknown[]; rejected: unknown[] } });
    await route.fulfill({ response });
  });

  await page.goto(CUSTOMER);
  await page.getByLabel("How much would you like to borrow (£)?").fill("1000");
  await page.getByLabel("Over how many months?").fill("12");
  await page.getByRole("button", { name: "Show my quote" }).click();
  await page.getByRole("link", { name: "Apply for this loan" }).click();
  await page.waitForURL(/\/sign-in/);
  await page.getByRole("link", { name: "Create an account" }).click();

  await expect(page.getByRole("heading", { name: "Create an account" })).toBeVisible();
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Create a password").fill("short");
  await page.getByLabel("Type the password again").fill("short");
  await page.getByRole("button", { name: "Create my account" }).click();
  await expect(page.getByText("Choose a password of at least 8 characters").first()).toBeVisible();
  await checkAccessibility(page, "registration with an error");
  await page.getByLabel("Create a password").fill(password);
  await page.getByLabel("Type the password again").fill(password);
  await page.getByRole("button", { name: "Create my account" }).click();

  // The pool emails a code (the local stand-in accepts any 6 digits).
  await expect(page.getByRole("heading", { name: "Confirm your email address" })).toBeVisible();
  await checkAccessibility(page, "confirmation");
  await screenshot(page, "customer-confirm");
  // The first email did not arrive: a new code is sent (Cognito's ResendConfirmationCode).
  await page.getByRole("button", { name: "Send me a new code" }).click();
  await expect(page.getByText("We have sent you a new code.")).toBeVisible();
  await page.getByLabel("Confirmation code").fill("123456");
  await page.getByRole("button", { name: "Confirm my account" }).click();
  await expect(page.getByText("Your account is confirmed")).toBeVisible();
  await expect(page.getByLabel("Email address")).toHaveValue(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/apply/);

  await expect(page.getByRole("heading", { name: "Apply for a loan" })).toBeVisible();
  await checkAccessibility(page, "the consent question");
  await page.getByRole("button", { name: "Yes, that is fine" }).click();
  await page.getByRole("button", { name: "Start your application" }).click();

  await expect(page.getByRole("heading", { name: "Your loan" })).toBeVisible();
  await page.getByLabel("How much would you like to borrow (£)?").fill("1000");
  await page.getByLabel("Over how many months?").fill("12");
  await choose(page, "What is the loan for?", "Household");
  await next(page, "About you");

  await choose(page, "Title", "Mr");
  await page.getByLabel("First name").fill("Dafydd");
  await page.getByLabel("Last name").fill("Price-Jones");
  await page.getByLabel("Date of birth").fill("1986-02-03");
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Mobile number").fill("07700 900456");
  await choose(page, "Marital status", "Married");
  await page.getByLabel("Number of dependants").fill("1");
  await next(page, "Where you live");

  // One year here is not three years of history: the form asks for the earlier address.
  await page.getByLabel("Postcode").fill("CF10 1AA");
  await page.getByLabel("Address line 1").fill("5 Castle Street");
  await page.getByLabel("Town or city").fill("Cardiff");
  await page.getByLabel("Years at this address").fill("1");
  await page.getByLabel("And months").fill("0");
  await page.getByRole("button", { name: "Save and continue" }).click();
  await expect(page.getByText("Add your earlier addresses: we need the last 3 years").first()).toBeVisible();
  await checkAccessibility(page, "the address history error");
  await screenshot(page, "customer-address-history");
  await page.getByRole("button", { name: "Add an earlier address" }).click();
  const earlier = page.getByRole("group", { name: "Earlier addresses" });
  await earlier.getByLabel("Postcode").fill("SA1 1AA");
  await earlier.getByLabel("Address line 1").fill("22 Marina Walk");
  await earlier.getByLabel("Town or city").fill("Swansea");
  await earlier.getByLabel("Years at this address").fill("3");
  await earlier.getByLabel("And months").fill("0");
  await next(page, "Your income");

  await choose(page, "Employment status", "Employed full time");
  await page.getByLabel("Employer or business name").fill("Bay Engineering Ltd");
  await page.getByLabel("Take-home pay each month (£)").fill("2100");
  await choose(page, "How often are you paid?", "Monthly");
  await next(page, "Your outgoings");

  const outgoings: [string, string][] = [
    ["Rent or mortgage each month (£)", "600"],
    ["Council tax each month (£)", "110"],
    ["Energy, water, phone and broadband each month (£)", "140"],
    ["Food and household essentials each month (£)", "260"],
    ["Travel and car costs each month (£)", "90"],
    ["Childcare each month (£)", "0"],
    ["Repayments on other loans and cards each month (£)", "0"],
    ["Other essential spending each month (£)", "40"],
  ];
  for (const [label, value] of outgoings) await page.getByLabel(label).fill(value);
  await next(page, "Your bank account");

  await page.getByLabel("Sort code").fill("20-00-00");
  await page.getByLabel("Account number").fill("55779911");
  await next(page, "Declarations");

  await page.getByLabel("I agree to a credit search").check();
  await page.getByLabel("I accept the terms and the privacy notice").check();
  await choose(page, "Are you currently in bankruptcy, an IVA or a debt relief order?", "None of these");
  await next(page, "Check and submit");

  await page.getByRole("button", { name: "Submit my application" }).click();
  await expect(page.getByRole("heading", { name: "We have your application" })).toBeVisible();
  // Under review until a person decides: the engine's outcome is for staff only.
  await expect(page.getByText(/An underwriter is checking your application/)).toBeVisible();
  reference = ((await page.getByText(/^Reference /).textContent()) ?? "").replace("Reference ", "").trim();
  applicationId = page.url().split("/applications/")[1] ?? "";
  expect(reference).toMatch(/^FF-/);
  await expect(page.getByRole("heading", { name: "Share your bank data" })).toBeVisible();
  await checkAccessibility(page, "the decision");
  await screenshot(page, "customer-decision");

  // The journey's events went to the tracker, in batches, and were accepted.
  expect(batches.length).toBeGreaterThan(0);
  for (const batch of batches) {
    expect(batch.status).toBe(200);
    expect(batch.answer.rejected).toEqual([]);
    expect(batch.answer.accepted).toHaveLength(batch.sent);
  }
  expect(batches.reduce((sum, b) => sum + b.sent, 0)).toBeGreaterThanOrEqual(16);
});

test("the customer connects their bank and comes back to the portal", async ({ page }) => {
  expect(applicationId).not.toBe("");
  await signInAs(page);
  await page.goto(`${CUSTOMER}/applications/${applicationId}`);
  // The bank's consent journey (the simulated bank authorises at once) sends the customer back
  // to the portal, whose server hands the bank's answer to the API.
  await page.getByRole("button", { name: "Connect my bank account" }).click();
  await page.waitForURL(/\/return\/open-banking/);
  await expect(page.getByRole("heading", { name: "Welcome back from your bank" })).toBeVisible();
  await expect(page.getByText("We are reading the data your bank shared")).toBeVisible();
  await expect(page.getByText("We could not check this yet")).toHaveCount(0);
  await checkAccessibility(page, "the return from the bank");
  await page.getByRole("link", { name: "Back to your application" }).click();
  await page.waitForURL(new RegExp(`/applications/${applicationId}$`));
  // The worker fetches the bank's report and decides again on it; the customer still sees
  // "under review" until a person decides.
  await expect
    .poll(
      async () => {
        await page.reload();
        return (await page.getByText("Connected and read: thank you.").count()) > 0;
      },
      { timeout: 60_000, intervals: [1000, 2000, 3000] },
    )
    .toBe(true);
  await expect(page.getByRole("button", { name: "Connect my bank account" })).toHaveCount(0);
  await expect(page.getByText(/An underwriter is checking your application/)).toBeVisible();
});

test("the customer sends a requested payslip straight to storage", async ({ page }) => {
  expect(applicationId).not.toBe("");
  const staff = await staffSession();
  await act(staff, applicationId, "request-information", { needed: "A payslip from the last month, please." });
  await staff.dispose();

  await signInAs(page);
  await page.goto(`${CUSTOMER}/applications/${applicationId}`);
  await expect(page.getByRole("heading", { name: "We need a little more information" })).toBeVisible();
  await expect(page.getByText("What we need: A payslip from the last month, please.")).toBeVisible();
  await page.getByLabel("File (PDF or photo, up to 10 MB)").setInputFiles({
    name: "payslip.pdf",
    mimeType: "application/pdf",
    buffer: Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
  });
  await page.getByRole("button", { name: "Upload this document" }).click();
  await expect(page.getByRole("list", { name: "Documents you have sent" })).toContainText("Payslip, sent");
  await checkAccessibility(page, "documents requested");
  await screenshot(page, "customer-documents");
  await page.getByRole("button", { name: "I have sent everything" }).click();
  await expect(page.getByRole("heading", { name: "We have your application" })).toBeVisible();
});

test("after the underwriter approves, the customer accepts, sets up the Direct Debit and sees the loan", async ({ page, context }) => {
  expect(applicationId).not.toBe("");
  const staff = await staffSession();
  await act(staff, applicationId, "approve", { amount_pence: 100000, term_months: 12 });
  await staff.dispose();

  await signInAs(page);
  // An expired access token: the portal's server refreshes it from the refresh token.
  await context.clearCookies({ name: "ff_access" });
  await page.goto(`${CUSTOMER}/applications/${applicationId}`);
  await expect(page.getByRole("heading", { name: "Good news: we can offer you a loan" })).toBeVisible();
  expect((await context.cookies()).find((c) => c.name === "ff_access")?.httpOnly).toBe(true);
  await checkAccessibility(page, "the offer");
  await screenshot(page, "customer-offer");
  await page.getByRole("button", { name: "Accept this offer" }).click();
  await expect(page.getByRole("heading", { name: "You have accepted your loan" })).toBeVisible();
  await checkAccessibility(page, "the accepted offer");

  // The provider's hosted page (not ours), then back to the portal.
  await page.getByRole("button", { name: "Set up my Direct Debit" }).click();
  await expect(page.getByRole("heading", { name: "Set up a Direct Debit with Fair Finance" })).toBeVisible();
  await page.getByRole("button", { name: "Set up Direct Debit" }).click();
  await page.waitForURL(/\/return\/payments/);
  await expect(page.getByRole("heading", { name: "Thank you" })).toBeVisible();
  await checkAccessibility(page, "the return from the payment provider");

  // The bank sets the mandate up (days in real life): the loan is then paid out.
  await expect.poll(async () => (await page.request.post(`${PAYMENTS_SIM}/_sim/advance`, { data: { to: "active" } })).status()).toBe(200);
  await page.getByRole("link", { name: "Back to your application" }).click();
  await page.waitForURL(new RegExp(`/applications/${applicationId}$`));
  await expect
    .poll(
      async () => {
        await page.reload();
        return (await page.getByTestId("mandate-status").textContent({ timeout: 10_000 }).catch(() => "")) ?? "";
      },
      { timeout: 60_000, intervals: [1000, 2000, 3000] },
    )
    .toContain("Set up and working");
  await expect
    .poll(async () => (((await (await page.request.get(`${CUSTOMER}/api/v1/loans`)).json()) as { items: unknown[] }).items.length), { timeout: 60_000 })
    .toBeGreaterThan(0);

  await page.goto(`${CUSTOMER}/loans`);
  await expect(page.getByRole("heading", { name: "Your loans" })).toBeVisible();
  await expect(page.getByText("£1,000.00 over 12 months")).toBeVisible();
  await checkAccessibility(page, "loans");
  await screenshot(page, "customer-loans");
  await page.getByRole("link", { name: "Schedule, payments and pay now" }).click();
  await expect(page.getByRole("heading", { name: "Payment schedule" })).toBeVisible();
  await expect(page.getByRole("row")).toHaveCount(13);
  await page.getByLabel("Amount (£)").fill("5000");
  await page.getByRole("button", { name: "Pay now" }).click();
  await expect(page.getByText("Enter an amount between £1.00 and")).toBeVisible();
  await checkAccessibility(page, "a loan's schedule and payments");
  await screenshot(page, "customer-loan");

  // Pay now on the provider's hosted page, then back to the portal: the payment is listed.
  const loanPage = page.url();
  await page.getByLabel("Amount (£)").fill("25");
  await page.getByRole("button", { name: "Pay now" }).click();
  await expect(page.getByRole("heading", { name: "Pay Fair Finance" })).toBeVisible();
  await expect(page.getByText("Pay £25.00 from your bank account.")).toBeVisible();
  await page.getByRole("button", { name: "Pay now" }).click();
  await page.waitForURL(/\/return\/payments/);
  await expect(page.getByRole("heading", { name: "Thank you" })).toBeVisible();
  await expect(page.getByText("We could not check this yet")).toHaveCount(0);
  // The provider confirms it (a day or so in real life); only a payment made on the hosted page
  // exists at the provider to be confirmed.
  const payments = `${CUSTOMER}/api/v1/loans/${loanPage.split("/loans/")[1]}/payments`;
  await expect
    .poll(
      async () => {
        await page.request.post(`${PAYMENTS_SIM}/_sim/advance`, { data: { to: "confirmed" } });
        const listed = (await (await page.request.get(payments)).json()) as { items: { kind: string; amount_pence: number; state: string }[] };
        return listed.items.filter((p) => p.kind === "pay_now" && p.amount_pence === 2500).map((p) => p.state);
      },
      { timeout: 60_000, intervals: [1000, 2000, 3000] },
    )
    .toEqual(["confirmed"]);
  await page.goto(loanPage);
  await expect(page.getByText("£25.00 paid by you")).toBeVisible();

  await page.getByRole("link", { name: "Profile" }).click();
  await expect(page.getByRole("heading", { name: "Your profile" })).toBeVisible();
  await page.getByLabel("What should we call you?").fill("Dai");
  await page.getByRole("button", { name: "Save my changes" }).click();
  await expect(page.getByText("Your changes are saved.")).toBeVisible();
  await checkAccessibility(page, "profile and settings");
  await screenshot(page, "customer-profile");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  expect(await page.evaluate(() => window.localStorage.length + window.sessionStorage.length)).toBe(0);
});
