"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import CircularProgress from "@mui/material/CircularProgress";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { type FormEvent, useEffect, useRef, useState } from "react";

import { asProblem, type Schemas } from "@ff/api-client";

import { api, pounds, unwrap } from "@/lib/api";
import { day, instalmentWords, paymentWords } from "@/lib/words";

interface Loaded {
  loan: Schemas["LoanView"];
  schedule: Schemas["InstalmentView"][];
  payments: Schemas["PaymentView"][];
}

/** One loan: balance, the schedule with what has been paid, every payment and its state, pay now. */
export default function LoanDetail({ id }: { id: string }) {
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [amount, setAmount] = useState("");
  const [payError, setPayError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const payKey = useRef<string | null>(null);

  useEffect(() => {
    const path = { params: { path: { loan_id: id } } };
    Promise.all([api.GET("/v1/loans/{loan_id}", path), api.GET("/v1/loans/{loan_id}/schedule", path), api.GET("/v1/loans/{loan_id}/payments", path)])
      .then(([loan, schedule, payments]) => setData({ loan: unwrap(loan), schedule: unwrap(schedule).instalments, payments: unwrap(payments).items }))
      .catch(() => setError("We could not load this loan. Please try again later."));
  }, [id]);

  async function payNow(event: FormEvent) {
    event.preventDefault();
    if (!data) return;
    const pence = Math.round(Number(amount.replace(/[£,\s]/g, "")) * 100);
    if (!Number.isInteger(pence) || pence < 100 || pence > data.loan.balance_pence) {
      setPayError(`Enter an amount between £1.00 and ${pounds(data.loan.balance_pence)}`);
      return;
    }
    setPayError(null);
    setBusy(true);
    payKey.current ??= `pay-${crypto.randomUUID()}`;
    const result = await api.POST("/v1/loans/{loan_id}/payments", {
      params: { path: { loan_id: id }, header: { "Idempotency-Key": payKey.current } },
      body: { amount_pence: pence },
    });
    setBusy(false);
    if (result.response.ok && result.data) {
      window.location.assign(result.data.authorisation_url);
      return;
    }
    payKey.current = null;
    setPayError(asProblem(result.error)?.detail ?? "We could not start the payment. Please try again.");
  }

  if (error) return <Alert severity="error">{error}</Alert>;
  if (!data) return <CircularProgress aria-label="Loading" />;
  const { loan, schedule, payments } = data;
  return (
    <Stack spacing={3}>
      <Typography variant="h4" component="h1">
        Your loan of {pounds(loan.advance_pence)}
      </Typography>
      <Stack spacing={0.5}>
        <Typography data-testid="balance">Left to pay: {pounds(loan.balance_pence)}</Typography>
        <Typography>
          {pounds(loan.instalment_pence)} a month for {loan.term_months} months, APR {loan.apr_percent}%
        </Typography>
        {loan.next_payment_date && <Typography>Next payment: {pounds(loan.next_payment_pence ?? loan.instalment_pence)} on {day(loan.next_payment_date)}</Typography>}
        {loan.arrears_pence > 0 && <Alert severity="warning">You are {pounds(loan.arrears_pence)} behind. Please contact us if you are struggling: we can help.</Alert>}
      </Stack>
      {loan.balance_pence > 0 && (
        <Stack component="form" spacing={1} onSubmit={payNow} noValidate aria-labelledby="pay-heading">
          <Typography id="pay-heading" variant="h5" component="h2">
            Make a payment now
          </Typography>
          <TextField
            label="Amount (£)"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            error={Boolean(payError)}
            helperText={payError ?? `Up to ${pounds(loan.balance_pence)}. You pay on our payment provider's secure page.`}
            slotProps={{ htmlInput: { inputMode: "decimal" } }}
          />
          <Button type="submit" variant="contained" disabled={busy}>
            Pay now
          </Button>
        </Stack>
      )}
      <section aria-labelledby="schedule-heading">
        <Typography id="schedule-heading" variant="h5" component="h2" gutterBottom>
          Payment schedule
        </Typography>
        <Table size="small" aria-labelledby="schedule-heading">
          <TableHead>
            <TableRow>
              <TableCell>Due</TableCell>
              <TableCell align="right">Amount</TableCell>
              <TableCell>Status</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {schedule.map((i) => (
              <TableRow key={i.number}>
                <TableCell>{day(i.due_date)}</TableCell>
                <TableCell align="right">{pounds(i.amount_pence)}</TableCell>
                <TableCell>{instalmentWords(i.status)}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </section>
      <section aria-labelledby="payments-heading">
        <Typography id="payments-heading" variant="h5" component="h2" gutterBottom>
          Your payments
        </Typography>
        {payments.length === 0 && <Typography>No payments yet.</Typography>}
        <Stack spacing={1}>
          {payments.map((p) => (
            <Stack key={p.id} direction="row" spacing={1} sx={{ alignItems: "center", justifyContent: "space-between" }}>
              <Typography>
                {pounds(p.amount_pence)} {p.kind === "pay_now" ? "paid by you" : "by Direct Debit"}
                {p.charge_date ? `, ${day(p.charge_date)}` : ""}
              </Typography>
              <Chip label={paymentWords(p.state)} />
            </Stack>
          ))}
        </Stack>
      </section>
    </Stack>
  );
}
