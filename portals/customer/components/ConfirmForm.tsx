"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, useState } from "react";

/** The emailed 6-digit code confirms the registration; then the customer signs in. */
export default function ConfirmForm() {
  const router = useRouter();
  const params = useSearchParams();
  const [email, setEmail] = useState(params.get("email") ?? "");
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function send(payload: Record<string, unknown>): Promise<boolean> {
    setBusy(true);
    setError(null);
    setInfo(null);
    const response = await fetch("/api/auth/confirm", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, ...payload }),
    }).finally(() => setBusy(false));
    if (response.ok) return true;
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    setError(body.message ?? "We could not confirm your account. Please try again.");
    return false;
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (await send({ code })) router.push(`/sign-in?confirmed=1&next=/apply&email=${encodeURIComponent(email)}`);
  }

  async function resend() {
    if (await send({ resend: true })) setInfo("We have sent you a new code.");
  }

  return (
    <Stack component="form" spacing={2} onSubmit={submit} noValidate>
      {error && <Alert severity="error">{error}</Alert>}
      {info && <Alert severity="success">{info}</Alert>}
      <TextField label="Email address" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
      <TextField
        label="Confirmation code"
        autoComplete="one-time-code"
        value={code}
        onChange={(e) => setCode(e.target.value)}
        helperText="The 6-digit code in the email we sent you"
        slotProps={{ htmlInput: { inputMode: "numeric", maxLength: 6 } }}
        required
      />
      <Button type="submit" variant="contained" size="large" disabled={busy}>
        Confirm my account
      </Button>
      <Button onClick={resend} disabled={busy || !email}>
        Send me a new code
      </Button>
    </Stack>
  );
}
