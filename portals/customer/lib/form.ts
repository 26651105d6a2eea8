/**
 * The application form from the API's JSON Schemas: one source of truth for the fields, their
 * rules and (through ajv, with the very schema the API validates against) the browser's checks.
 * Field keys are dotted paths (`previous_addresses.0.postcode`), the same shape as the API's
 * problem-document paths once the step name is taken off.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";

export type JsonSchema = {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  multipleOf?: number;
  maxItems?: number;
  format?: string;
  default?: unknown;
  examples?: unknown[];
};

export type FieldKind = "text" | "integer" | "money" | "date" | "select" | "checkbox" | "group";

export interface FieldSpec {
  name: string;
  label: string;
  hint?: string;
  kind: FieldKind;
  required: boolean;
  nullable: boolean;
  options?: string[];
  schema: JsonSchema;
  item?: FieldSpec[];
}

export type Values = Record<string, string | boolean>;

const LABELS: Record<string, string> = {
  amount_pence: "How much would you like to borrow (£)?",
  term_months: "Over how many months?",
  purpose: "What is the loan for?",
  title: "Title",
  first_name: "First name",
  last_name: "Last name",
  date_of_birth: "Date of birth",
  email: "Email address",
  mobile: "Mobile number",
  marital_status: "Marital status",
  dependants: "Number of dependants",
  postcode: "Postcode",
  line1: "Address line 1",
  line2: "Address line 2 (optional)",
  town: "Town or city",
  country: "Country code",
  years_at_address: "Years at this address",
  months_at_address: "And months",
  previous_addresses: "Earlier addresses",
  status: "Employment status",
  employer_name: "Employer or business name",
  net_monthly_income_pence: "Take-home pay each month (£)",
  pay_frequency: "How often are you paid?",
  other_monthly_income_pence: "Other monthly income, such as benefits (£)",
  housing_pence: "Rent or mortgage each month (£)",
  council_tax_pence: "Council tax each month (£)",
  utilities_pence: "Energy, water, phone and broadband each month (£)",
  food_pence: "Food and household essentials each month (£)",
  transport_pence: "Travel and car costs each month (£)",
  childcare_pence: "Childcare each month (£)",
  credit_commitments_pence: "Repayments on other loans and cards each month (£)",
  other_pence: "Other essential spending each month (£)",
  sort_code: "Sort code",
  account_number: "Account number",
  credit_search_consent: "I agree to a credit search",
  accepts_terms: "I accept the terms and the privacy notice",
  insolvency: "Are you currently in bankruptcy, an IVA or a debt relief order?",
  marketing_opt_in: "Send me news and offers (optional)",
};

const OPTION_LABELS: Record<string, string> = {
  debt_consolidation: "Paying off other debts",
  home_improvement: "Home improvement",
  employed_full_time: "Employed full time",
  employed_part_time: "Employed part time",
  self_employed: "Self-employed",
  four_weekly: "Every four weeks",
  civil_partnership: "Civil partnership",
  none: "None of these",
  dro: "Debt relief order",
  iva: "IVA",
};

export function optionLabel(value: string): string {
  if (OPTION_LABELS[value]) return OPTION_LABELS[value];
  const words = value.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function humanise(name: string): string {
  return LABELS[name] ?? optionLabel(name.replace(/_pence$/, ""));
}

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  if (schema.$ref?.startsWith("#/$defs/")) {
    const target = root.$defs?.[schema.$ref.slice("#/$defs/".length)] ?? {};
    return { ...target, ...schema, $ref: undefined };
  }
  return schema;
}

export function fieldsOf(schema: JsonSchema, root: JsonSchema = schema, prefix = ""): FieldSpec[] {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, raw]) => {
    let prop = resolve(raw, root);
    let nullable = false;
    if (prop.anyOf) {
      const concrete = prop.anyOf.find((s) => s.type !== "null");
      nullable = prop.anyOf.some((s) => s.type === "null");
      prop = { ...resolve(concrete ?? {}, root), description: prop.description };
    }
    const key = `${prefix}${name}`;
    const base = { name: key, label: humanise(name), hint: raw.description ?? prop.description, required: required.has(name), nullable, schema: prop };
    if (prop.type === "array" && prop.items) {
      const item = resolve(prop.items, root);
      return { ...base, kind: "group", item: fieldsOf(item, root) } satisfies FieldSpec;
    }
    if (prop.enum) return { ...base, kind: "select", options: prop.enum.map(String) } satisfies FieldSpec;
    if (prop.type === "boolean") return { ...base, kind: "checkbox" } satisfies FieldSpec;
    if (prop.type === "integer") return { ...base, kind: name.endsWith("_pence") ? "money" : "integer" } satisfies FieldSpec;
    if (prop.format === "date") return { ...base, kind: "date" } satisfies FieldSpec;
    return { ...base, kind: "text" } satisfies FieldSpec;
  });
}

/** The step's saved data (or nothing) as form values: money in pounds, everything a string. */
export function toValues(fields: FieldSpec[], data: Record<string, unknown> | null | undefined, prefix = ""): Values {
  const values: Values = {};
  for (const field of fields) {
    const local = field.name.slice(field.name.lastIndexOf(".") + 1);
    const value = data?.[local] ?? (field.schema.default as unknown);
    const key = `${prefix}${field.name}`;
    if (field.kind === "group") {
      const items = Array.isArray(value) ? (value as Record<string, unknown>[]) : [];
      items.forEach((item, i) => Object.assign(values, toValues(field.item ?? [], item, `${key}.${i}.`)));
      values[`${key}.count`] = String(items.length);
    } else if (field.kind === "checkbox") {
      values[key] = value === true;
    } else if (field.kind === "money") {
      values[key] = typeof value === "number" ? (value / 100).toFixed(2).replace(/\.00$/, "") : "";
    } else {
      values[key] = value === null || value === undefined ? "" : String(value);
    }
  }
  return values;
}

/** Form values back to the step's JSON body (what the schema and the API expect). */
export function toBody(fields: FieldSpec[], values: Values, prefix = ""): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of fields) {
    const local = field.name.slice(field.name.lastIndexOf(".") + 1);
    const key = `${prefix}${field.name}`;
    if (field.kind === "group") {
      const count = Number(values[`${key}.count`] ?? 0);
      body[local] = Array.from({ length: count }, (_, i) => toBody(field.item ?? [], values, `${key}.${i}.`));
      continue;
    }
    const value = values[key];
    if (field.kind === "checkbox") {
      body[local] = value === true;
      continue;
    }
    const text = typeof value === "string" ? value.trim() : "";
    if (text === "") {
      if (field.nullable) body[local] = null;
      continue;
    }
    if (field.kind === "money") {
      const pounds = Number(text.replace(/[£,\s]/g, ""));
      body[local] = Number.isFinite(pounds) ? Math.round(pounds * 100) : text;
    } else if (field.kind === "integer") {
      const number = Number(text);
      body[local] = Number.isFinite(number) ? number : text;
    } else {
      body[local] = text;
    }
  }
  return body;
}

const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);
const compiled = new Map<string, ValidateFunction>();

function validator(schema: JsonSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  let check = compiled.get(key);
  if (!check) {
    check = ajv.compile(schema);
    compiled.set(key, check);
  }
  return check;
}

function fieldByPath(fields: FieldSpec[], path: string): FieldSpec | undefined {
  const parts = path.split(".");
  let current: FieldSpec | undefined = fields.find((f) => f.name === parts[0]);
  if (current?.kind === "group" && parts.length >= 3) {
    current = current.item?.find((f) => f.name === parts[2]);
  }
  return current;
}

function money(pence: number | undefined): string {
  return pence === undefined ? "" : `£${(pence / 100).toLocaleString("en-GB", { minimumFractionDigits: 2 })}`;
}

function message(error: ErrorObject, field: FieldSpec | undefined): string {
  const label = (field?.label ?? "this").replace(/ \(£\)\??$|\?$| \(optional\)$/, "").toLowerCase();
  const schema = field?.schema ?? {};
  const isMoney = field?.kind === "money";
  const show = (n: number | undefined) => (isMoney ? money(n) : String(n));
  switch (error.keyword) {
    case "required":
      return field?.kind === "select" ? "Choose an option" : `Enter ${label}`;
    case "const":
      return "You must agree to this to apply";
    case "enum":
      return "Choose an option";
    case "minimum":
    case "maximum":
    case "multipleOf":
      if (schema.multipleOf && isMoney) {
        return `Enter an amount between ${show(schema.minimum)} and ${show(schema.maximum)}, in steps of ${show(schema.multipleOf)}`;
      }
      return `Enter a number between ${show(schema.minimum)} and ${show(schema.maximum)}`;
    case "type":
      return isMoney ? "Enter an amount in pounds, like 150 or 150.50" : `Enter ${label} as a whole number`;
    case "format":
      return "Enter a real date";
    case "maxLength":
      return `${field?.label ?? "This"} is too long`;
    case "minLength":
    case "pattern":
      return `Enter a valid ${label}`;
    default:
      return `Check ${label}`;
  }
}

/** Errors by field key, from the same JSON Schema the API validates with. */
export function validate(
  schema: JsonSchema,
  fields: FieldSpec[],
  body: Record<string, unknown>,
  codes: Record<string, string> = {},
): Record<string, string> {
  const check = validator(schema);
  if (check(body)) return {};
  const errors: Record<string, string> = {};
  for (const error of check.errors ?? []) {
    let path = error.instancePath.replace(/^\//, "").replace(/\//g, ".");
    if (error.keyword === "required") {
      path = [path, (error.params as { missingProperty: string }).missingProperty].filter(Boolean).join(".");
    }
    if (!path || errors[path]) continue;
    errors[path] = message(error, fieldByPath(fields, path));
    codes[path] = error.keyword;
  }
  return errors;
}

/** The API's problem-document paths (`loan.amount_pence`, `address.previous_addresses[0].town`) as field keys. */
export function fieldKey(step: string, path: string): string {
  return path
    .replace(/^\$\.?/, "")
    .replace(/^body\./, "")
    .replace(new RegExp(`^${step}\\.`), "")
    .replace(/\[(\d+)\]/g, ".$1");
}

/** Months the address step covers: the current address and every earlier one. */
export function monthsCovered(body: Record<string, unknown>): number {
  const months = (a: Record<string, unknown>) => Number(a.years_at_address ?? 0) * 12 + Number(a.months_at_address ?? 0);
  const previous = Array.isArray(body.previous_addresses) ? (body.previous_addresses as Record<string, unknown>[]) : [];
  return months(body) + previous.reduce((sum, a) => sum + months(a), 0);
}

export const ADDRESS_HISTORY_MONTHS = 36;

/** The rules across fields that a JSON Schema cannot say (the API checks them too): the
 * address step must cover the last three years. */
export function crossFieldErrors(step: string, body: Record<string, unknown>, codes: Record<string, string> = {}): Record<string, string> {
  if (step !== "address" || typeof body.years_at_address !== "number" || typeof body.months_at_address !== "number") return {};
  const covered = monthsCovered(body);
  if (covered >= ADDRESS_HISTORY_MONTHS) return {};
  codes.previous_addresses = "address_history";
  const years = Math.floor(covered / 12);
  const months = covered % 12;
  return {
    previous_addresses: `Add your earlier addresses: we need the last 3 years, and these cover ${years} ${years === 1 ? "year" : "years"} and ${months} ${months === 1 ? "month" : "months"}`,
  };
}
