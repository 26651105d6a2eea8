import { describe, expect, it } from "vitest";

import { type JsonSchema, crossFieldErrors, fieldKey, fieldsOf, toBody, toValues, validate } from "./form";
import steps from "./fixtures/steps.json";

// The step schemas as GET /v1/application-form serves them (written from ff_shared's domain).
const loan = steps.loan as JsonSchema;
const address = steps.address as JsonSchema;

describe("fields from a step's JSON Schema", () => {
  it("turns pence into money fields, enums into selects and arrays into groups", () => {
    const kinds = Object.fromEntries(fieldsOf(loan).map((f) => [f.name, f.kind]));
    expect(kinds).toEqual({ amount_pence: "money", term_months: "integer", purpose: "select" });
    const history = fieldsOf(address).find((f) => f.name === "previous_addresses");
    expect(history?.kind).toBe("group");
    expect(history?.item?.map((f) => f.name)).toContain("postcode");
  });

  it("round-trips saved data through the form values (pounds on screen, pence in the body)", () => {
    const fields = fieldsOf(loan);
    const values = toValues(fields, { amount_pence: 125050, term_months: 12, purpose: "car" });
    expect(values.amount_pence).toBe("1250.50");
    expect(toBody(fields, { ...values, amount_pence: "£1,000" })).toEqual({ amount_pence: 100000, term_months: 12, purpose: "car" });
  });
});

describe("validation in the browser with the step's own schema", () => {
  it("words an amount outside the product plainly, from the schema's bounds", () => {
    const fields = fieldsOf(loan);
    const codes: Record<string, string> = {};
    const errors = validate(loan, fields, { amount_pence: 2500, term_months: 12, purpose: "household" }, codes);
    expect(errors).toEqual({ amount_pence: "Enter an amount between £200.00 and £3,000.00, in steps of £50.00" });
    expect(codes.amount_pence).toBe("minimum");
  });

  it("asks for missing answers and keeps text out of number fields", () => {
    const fields = fieldsOf(loan);
    const errors = validate(loan, fields, { amount_pence: "lots", term_months: 12 });
    expect(errors.amount_pence).toBe("Enter an amount in pounds, like 150 or 150.50");
    expect(errors.purpose).toBe("Choose an option");
  });

  it("checks the fields of each earlier address at their own keys", () => {
    const fields = fieldsOf(address);
    const body = {
      postcode: "SW1A 1AA",
      line1: "1 Road",
      town: "London",
      years_at_address: 1,
      months_at_address: 0,
      previous_addresses: [{ postcode: "not a postcode", line1: "2 Lane", town: "Leeds", years_at_address: 3, months_at_address: 0 }],
    };
    expect(Object.keys(validate(address, fields, body))).toEqual(["previous_addresses.0.postcode"]);
  });

  it("asks for earlier addresses until they cover three years", () => {
    const short = { years_at_address: 1, months_at_address: 6, previous_addresses: [] };
    expect(crossFieldErrors("address", short).previous_addresses).toBe(
      "Add your earlier addresses: we need the last 3 years, and these cover 1 year and 6 months",
    );
    const covered = { ...short, previous_addresses: [{ years_at_address: 1, months_at_address: 6 }] };
    expect(crossFieldErrors("address", covered)).toEqual({});
    expect(crossFieldErrors("loan", short)).toEqual({});
  });
});

describe("the API's problem-document paths mapped onto fields", () => {
  it.each([
    ["loan", "loan.amount_pence", "amount_pence"],
    ["address", "address.previous_addresses[0].town", "previous_addresses.0.town"],
    ["address", "address.previous_addresses", "previous_addresses"],
    ["loan", "$.loan.term_months", "term_months"],
    ["loan", "body.loan.purpose", "purpose"],
  ])("%s: %s → %s", (step, path, key) => {
    expect(fieldKey(step, path)).toBe(key);
  });
});
