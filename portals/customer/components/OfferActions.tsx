"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import { useState } from "react";

import { asProblem, type Schemas } from "@ff/api-client";

type Application = Schemas["ApplicationView"];

/** Accept or decline the offer; a stale version reloads the application instead of overwriting. */
export default function OfferActions({ application, onChange }: { application: Application; onChange: (reload: boolean, app?: Application) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function answer(choice: "accept" | "decline") {
    setBusy(true);
    setError(null);
    try {
      const response = await fetch(`/api/v1/applications/${application.id}/offer/${choice}`, {
        method: "POST",
        headers: { "if-match": `"${application.version}"` },
      });
      const payload: unknown = await response.json().catch(() => null);
      if (response.ok) return onChange(false, payload as Application);
      if (response.status === 409 || response.status === 412) {
        setError("Your application changed while you were reading it, so we have loaded the latest version. Please check it.");
        return onChange(true);
      }
      setError(asProblem(payload)?.detail ?? "We could not record your answer. Please try again.");
    } finally {
      setBusy(false);
    }
  }

  return (
    <Stack spacing={1}>
      {error && <Alert severity="warning">{error}</Alert>}
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
        <Button variant="contained" size="large" onClick={() => answer("accept")} disabled={busy}>
          Accept this offer
        </Button>
        <Button variant="outlined" size="large" onClick={() => answer("decline")} disabled={busy}>
          No thanks, decline it
        </Button>
      </Stack>
    </Stack>
  );
}
