"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { useState } from "react";

import { asProblem, type Schemas } from "@ff/api-client";

import { api } from "@/lib/api";

const STATE_WORDS: Record<string, string> = {
  awaiting_authorisation: "We are waiting for you to finish at your bank.",
  authorised: "Connected: thank you. Your bank is preparing the data.",
  completed: "Connected and read: thank you.",
  rejected: "The bank connection was not completed. You can try again.",
  expired: "The link expired. You can try again.",
};

/** Connecting open banking: the API answers the bank's consent page; the bank sends the customer back. */
export default function OpenBanking({ application }: { application: Schemas["ApplicationView"] }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const current = application.open_banking ?? null;
  const done = current !== null && ["authorised", "completed"].includes(current.state);

  async function connect() {
    setBusy(true);
    setError(null);
    const result = await api.POST("/v1/applications/{application_id}/open-banking", { params: { path: { application_id: application.id } } });
    setBusy(false);
    if (result.response.ok && result.data) {
      window.location.assign(result.data.authorisation_url);
      return;
    }
    setError(asProblem(result.error)?.detail ?? "We could not connect to your bank. Please try again.");
  }

  return (
    <Stack component="section" aria-labelledby="ob-heading" spacing={1}>
      <Typography id="ob-heading" variant="h5" component="h2">
        Share your bank data
      </Typography>
      {current && <Typography>{STATE_WORDS[current.state] ?? `Status: ${current.state.replace(/_/g, " ")}`}</Typography>}
      {!done && (
        <>
          <Typography>
            Connecting your bank account lets us check your income and spending quickly, without payslips. It is read-only:
            nobody can move money with it.
          </Typography>
          <Button variant="outlined" onClick={connect} disabled={busy}>
            Connect my bank account
          </Button>
        </>
      )}
      {error && <Alert severity="error">{error}</Alert>}
    </Stack>
  );
}
