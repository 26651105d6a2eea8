import { describe, expect, it } from "vitest";

import { headline, reasonText } from "./decision";

// The codes the decision engine gives (ff_shared.domain.decision): verdicts, hard rules, flags.
const ENGINE_CODES = [
  "affordable",
  "counter_offer",
  "unaffordable",
  "amount_outside_product",
  "term_outside_product",
  "no_income",
  "declared_insolvency",
  "non_uk_address",
  "high_debt_to_income",
  "thin_margin",
  "young_applicant",
  "short_time_at_address",
  "irregular_income",
  "self_employed_income",
  "student_income",
  "large_loan_relative_to_income",
];

describe("the decision in plain words", () => {
  it.each(ENGINE_CODES)("explains %s in a sentence of its own", (code) => {
    const text = reasonText(code);
    expect(text).not.toMatch(/We took this into account/);
    expect(text).not.toContain("_");
    expect(text).toMatch(/^[A-Z].*\.$/);
  });

  it("still says something for a code it does not know", () => {
    expect(reasonText("new_rule")).toBe("We took this into account: new rule.");
  });

  it("keeps a referred decline under review until staff confirm it", () => {
    expect(headline("in_review", "decline").title).toBe("We have your application");
    expect(headline("offer_declined", undefined).title).toBe("You have declined the offer");
  });
});
