"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Card from "@mui/material/Card";
import CardContent from "@mui/material/CardContent";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import Link from "next/link";
import { type FormEvent, useState } from "react";

import type { Schemas } from "@ff/api-client";

import { ApiProblem, api, pounds, unwrap } from "@/lib/api";

export default function QuoteCalculator() {
  const [amount, setAmount] = useState("1000");
  const [term, setTerm] = useState("12");
  const [quote, setQuote] = useState<Schemas["Quote"] | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    const amountPence = Math.round(Number.parseFloat(amount) * 100);
    const months = Number.parseInt(term, 10);
    if (!Number.isFinite(amountPence) || amountPence <= 0 || !Number.isInteger(months) || months <= 0) {
      setError("Enter an amount in pounds and a term in whole months.");
      return;
    }
    try {
      setQuote(unwrap(await api.POST("/v1/quotes", { body: { amount_pence: amountPence, term_months: months } })));
    } catch (e) {
      setQuote(null);
      setError(e instanceof ApiProblem ? (e.problem.detail ?? e.problem.title) : "We could not work out a quote just now. Please try again.");
    }
  }

  return (
    <Card component="section" aria-labelledby="quote-heading">
      <CardContent>
        <Typography id="quote-heading" variant="h5" component="h2" gutterBottom>
          Get a quote
        </Typography>
        <Stack component="form" spacing={2} onSubmit={submit} noValidate>
          <TextField label="How much would you like to borrow (£)?" value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="decimal" />
          <TextField label="Over how many months?" value={term} onChange={(e) => setTerm(e.target.value)} inputMode="numeric" />
          <Button type="submit" variant="contained" size="large">
            Show my quote
          </Button>
        </Stack>
        {error && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {error}
          </Alert>
        )}
        {quote && (
          <Stack spacing={1} sx={{ mt: 3 }} aria-live="polite" data-testid="quote">
            <Typography variant="h6" component="p">
              {pounds(quote.monthly_instalment_pence)} a month for {quote.term_months} months
            </Typography>
            <Typography>
              Total to repay: {pounds(quote.total_repayable_pence)}, of which interest {pounds(quote.total_interest_pence)}.
            </Typography>
            <Typography>Representative APR: {quote.apr_percent}%</Typography>
            <Button component={Link} href="/apply" variant="outlined">
              Apply for this loan
            </Button>
          </Stack>
        )}
      </CardContent>
    </Card>
  );
}
