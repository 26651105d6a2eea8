/** The decision in plain words, from its outcome and reason codes. */

const REASONS: Record<string, string> = {
  affordable: "From what you told us, the repayments look affordable for you.",
  unaffordable: "From what you told us, the repayments would leave you too little to live on.",
  insufficient_income: "Your income is not enough to cover the repayments as well as your essential spending.",
  existing_debt_too_high: "The repayments on your existing debts are already high compared with your income.",
  adverse_credit_history: "Your credit history shows recent missed payments or defaults.",
  insolvency: "You told us you are in bankruptcy, an IVA or a debt relief order.",
  too_young: "You need to be 18 or over to borrow from us.",
  outside_lending_policy: "The loan you asked for is outside what we can lend.",
  information_not_provided: "We did not receive the information we asked for.",
  income_not_verified: "We could not confirm your income.",
  identity_not_verified: "We could not confirm who you are.",
  counter_offer: "We cannot lend the full amount you asked for, but we can offer a smaller loan or a longer term that you can afford.",
  amount_outside_product: "The amount you asked for is outside what we lend.",
  term_outside_product: "The length of loan you asked for is outside what we offer.",
  no_income: "You told us you have no regular income, so the repayments would not be affordable.",
  declared_insolvency: "You told us you are in bankruptcy, an IVA or a debt relief order, so we cannot lend to you now.",
  non_uk_address: "We can only lend to people living in the UK.",
  high_debt_to_income: "Your repayments on other debts are high compared with your income, so an underwriter will look at this.",
  thin_margin: "After the repayments you would have only a little money left each month, so an underwriter will check this with you.",
  young_applicant: "As you are at the younger end of the ages we lend to, an underwriter will take a closer look before deciding.",
  short_time_at_address: "You have lived at your address for a short time, so we will check your address history.",
  irregular_income: "Your income varies from month to month, so we may ask for evidence of it.",
  self_employed_income: "As you are self-employed, we may ask for evidence of your income.",
  student_income: "As a student, we will check how you would make the repayments.",
  large_loan_relative_to_income: "The loan is large compared with your income, so an underwriter will look at it.",
};

export function reasonText(code: string): string {
  return REASONS[code] ?? `We took this into account: ${code.replace(/_/g, " ")}.`;
}

export function headline(status: string, outcome: string | undefined): { title: string; body: string } {
  switch (status) {
    case "offered":
      return { title: "Good news: we can offer you a loan", body: "Read the offer below and tell us whether you would like to accept it." };
    case "accepted":
      return { title: "You have accepted your loan", body: "Set up your Direct Debit below and we will pay out your loan. You will then see it under Your loans." };
    case "offer_declined":
      return { title: "You have declined the offer", body: "Thank you for letting us know. You can apply again at any time." };
    case "withdrawn":
      return { title: "This application was withdrawn", body: "You can start a new application at any time." };
    case "declined":
      return { title: "We are sorry, we cannot offer you a loan this time", body: "The reasons are below. You can ask us to explain them, free of charge." };
    case "information_requested":
      return { title: "We need a little more information", body: "Please read what we need below." };
    case "awaiting_second_approval":
    case "in_review":
      return {
        title: "We have your application",
        body:
          outcome === "decline"
            ? "An underwriter is looking at your application before we make a final decision. We will email you, usually within one working day."
            : "An underwriter is checking your application. We will email you with our decision, usually within one working day.",
      };
    default:
      return { title: "Your application", body: "You have not submitted this application yet." };
  }
}
