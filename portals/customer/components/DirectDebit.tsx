"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { useEffect, useState } from "react";

import { asProblem, type Schemas } from "@ff/api-client";

import { api } from "@/lib/api";
import { mandateWords } from "@/lib/words";

/** The Direct Debit for an accepted offer: set up on the provider's hosted page, then its state. */
export default function DirectDebit({ applicationId }: { applicationId: string }) {
  const [mandate, setMandate] = useState<Schemas["MandateView"] | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api
      .GET("/v1/applications/{application_id}/mandate", { params: { path: { application_id: applicationId } } })
      .then((r) => setMandate(r.response.ok && r.data ? r.data : null))
      .catch(() => setMandate(null));
  }, [applicationId]);

  async function setUp() {
    setBusy(true);
    setError(null);
    const result = await api.POST("/v1/applications/{application_id}/mandate", { params: { path: { application_id: applicationId } } });
    setBusy(false);
    const url = result.data?.authorisation_url;
    if (result.response.ok && url) {
      window.location.assign(url);
      return;
    }
    if (result.data) setMandate(result.data);
    else setError(asProblem(result.error)?.detail ?? "We could not start the Direct Debit set-up. Please try again.");
  }

  if (mandate === undefined) return null;
  const waiting = !mandate || mandate.status === "pending_customer_approval";
  return (
    <Stack component="section" aria-labelledby="dd-heading" spacing={1}>
      <Typography id="dd-heading" variant="h5" component="h2">
        Your Direct Debit
      </Typography>
      {mandate && <Typography data-testid="mandate-status">Status: {mandateWords(mandate.status)}</Typography>}
      {mandate?.failure_cause && <Alert severity="warning">{mandate.failure_cause}</Alert>}
      {mandate?.loan_id && <Typography>Your loan is set up. You can see it under Your loans.</Typography>}
      {error && <Alert severity="error">{error}</Alert>}
      {waiting && (
        <>
          <Typography>
            We collect your monthly payments by Direct Debit. You will go to our payment provider to give your bank details
            securely, then come back here. We pay out your loan once the Direct Debit is set up.
          </Typography>
          <Button variant="contained" size="large" onClick={setUp} disabled={busy}>
            Set up my Direct Debit
          </Button>
        </>
      )}
    </Stack>
  );
}
