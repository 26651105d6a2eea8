"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import FormControlLabel from "@mui/material/FormControlLabel";
import Stack from "@mui/material/Stack";
import Switch from "@mui/material/Switch";
import { useSyncExternalStore } from "react";

import { tracker } from "@/lib/tracking";

/** Asks once whether we may measure how the form is used; nothing is sent without a yes. */
const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function snapshot(): "unasked" | "granted" | "denied" {
  const t = tracker();
  return t.asked() ? (t.consented() ? "granted" : "denied") : "unasked";
}

export default function TrackingConsent({ asSwitch = false }: { asSwitch?: boolean }) {
  // The choice is a first-party cookie: unknown while rendering on the server.
  const answer = useSyncExternalStore(subscribe, snapshot, () => null);
  if (!answer) return null;
  const state = { asked: answer !== "unasked", granted: answer === "granted" };

  function choose(granted: boolean) {
    tracker().setConsent(granted);
    listeners.forEach((listener) => listener());
  }

  if (asSwitch) {
    return (
      <FormControlLabel
        control={<Switch checked={state.granted} onChange={(e) => choose(e.target.checked)} />}
        label="Let us measure how people use the application form (no answers are sent, only which steps and fields)"
      />
    );
  }
  if (state.asked) return null;
  return (
    <Alert severity="info" component="section" aria-label="Helping us improve the form" icon={false}>
      May we measure how you move through the form, so we can make it easier? We record which steps and fields are used,
      never your answers. You can change your mind in your profile.
      <Stack direction="row" spacing={1} sx={{ mt: 1 }}>
        <Button variant="contained" size="small" onClick={() => choose(true)}>
          Yes, that is fine
        </Button>
        <Button variant="outlined" size="small" onClick={() => choose(false)}>
          No, thanks
        </Button>
      </Stack>
    </Alert>
  );
}
