/** Plain words for the states the API reports (mandates, payments, instalments, documents). */

const MANDATE: Record<string, string> = {
  pending_customer_approval: "Waiting for you to confirm it with the payment provider",
  pending_submission: "Confirmed; we are sending it to your bank",
  submitted: "With your bank",
  active: "Set up and working",
  failed: "Your bank could not set it up",
  cancelled: "Cancelled",
  expired: "Expired",
  consumed: "Replaced",
  blocked: "Blocked by your bank",
};

const PAYMENT: Record<string, string> = {
  pending: "Waiting",
  confirmed: "Confirmed",
  paid_out: "Paid",
  failed: "Failed",
  charged_back: "Taken back by your bank",
  cancelled: "Cancelled",
};

const INSTALMENT: Record<string, string> = {
  due: "Due",
  part_paid: "Partly paid",
  paid: "Paid",
  overdue: "Overdue",
};

function fallback(value: string): string {
  const words = value.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export const mandateWords = (status: string) => MANDATE[status] ?? fallback(status);
export const paymentWords = (state: string) => PAYMENT[state] ?? fallback(state);
export const instalmentWords = (status: string) => INSTALMENT[status] ?? fallback(status);

export const dates = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric" });

export function day(value: string | null | undefined): string {
  return value ? dates.format(new Date(value)) : "";
}
