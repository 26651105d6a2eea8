"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Link from "@mui/material/Link";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import NextLink from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, useState } from "react";

/** Posts to the portal's own sign-in route, which sets httpOnly cookies; no token reaches the page. */
export default function SignInForm({ home = "/apply" }: { home?: string }) {
  const router = useRouter();
  const params = useSearchParams();
  const [email, setEmail] = useState(params.get("email") ?? "");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const response = await fetch("/api/auth/sign-in", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    });
    setBusy(false);
    if (!response.ok) {
      const body = (await response.json().catch(() => ({}))) as { message?: string; confirm?: boolean };
      if (body.confirm) {
        router.push(`/confirm?email=${encodeURIComponent(email.trim().toLowerCase())}`);
        return;
      }
      setError(body.message ?? "We could not sign you in. Please try again.");
      return;
    }
    const next = params.get("next");
    router.push(next && next.startsWith("/") && !next.startsWith("//") ? next : home);
    router.refresh();
  }

  return (
    <Stack component="form" spacing={2} onSubmit={submit} noValidate>
      {params.get("confirmed") && !error && <Alert severity="success">Your account is confirmed. Sign in to carry on.</Alert>}
      {error && <Alert severity="error">{error}</Alert>}
      <TextField label="Email address" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required />
      <TextField label="Password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
      <Button type="submit" variant="contained" size="large" disabled={busy}>
        Sign in
      </Button>
      <Typography>
        New to us?{" "}
        <Link component={NextLink} href="/register">
          Create an account
        </Link>
      </Typography>
    </Stack>
  );
}
