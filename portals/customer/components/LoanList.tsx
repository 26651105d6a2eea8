"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Card from "@mui/material/Card";
import CardContent from "@mui/material/CardContent";
import Chip from "@mui/material/Chip";
import CircularProgress from "@mui/material/CircularProgress";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import Link from "next/link";
import { useEffect, useState } from "react";

import type { Schemas } from "@ff/api-client";

import { api, pounds, unwrap } from "@/lib/api";

const dates = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric" });

export default function LoanList() {
  const [loans, setLoans] = useState<Schemas["LoanView"][] | null>(null);
  const [error, setError] = useState(false);
  useEffect(() => {
    api.GET("/v1/loans").then((r) => setLoans(unwrap(r).items)).catch(() => setError(true));
  }, []);
  return (
    <Stack spacing={2}>
      <Typography variant="h4" component="h1">
        Your loans
      </Typography>
      {error && <Alert severity="error">We could not load your loans. Please try again later.</Alert>}
      {!loans && !error && <CircularProgress aria-label="Loading" />}
      {loans?.length === 0 && <Typography>You do not have any loans with us yet.</Typography>}
      {loans?.map((loan) => (
        <Card key={loan.id} component="article">
          <CardContent>
            <Stack direction="row" sx={{ justifyContent: "space-between", alignItems: "center" }}>
              <Typography variant="h6" component="h2">
                {pounds(loan.advance_pence)} over {loan.term_months} months
              </Typography>
              <Chip label={loan.status.replace(/_/g, " ")} />
            </Stack>
            <Typography>Left to pay: {pounds(loan.balance_pence)}</Typography>
            <Typography>Monthly payment: {pounds(loan.instalment_pence)}</Typography>
            {loan.next_payment_date && (
              <Typography>
                Next payment: {pounds(loan.next_payment_pence ?? loan.instalment_pence)} on {dates.format(new Date(loan.next_payment_date))}
              </Typography>
            )}
            <Button component={Link} href={`/loans/${loan.id}`} sx={{ mt: 1 }}>
              Schedule, payments and pay now
            </Button>
            {loan.arrears_pence > 0 && <Alert severity="warning">You are {pounds(loan.arrears_pence)} behind. Please contact us if you are struggling.</Alert>}
          </CardContent>
        </Card>
      ))}
    </Stack>
  );
}
