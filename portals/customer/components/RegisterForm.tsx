"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Link from "@mui/material/Link";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import NextLink from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";

import { registrationErrors } from "@/lib/auth-messages";

/** Registration through the portal's server (Cognito SignUp); the password never leaves it. */
export default function RegisterForm() {
  const router = useRouter();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found = registrationErrors(email, password, confirm);
    setErrors(found);
    setMessage(null);
    if (Object.keys(found).length) return;
    setBusy(true);
    const response = await fetch("/api/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password }),
    }).finally(() => setBusy(false));
    const body = (await response.json().catch(() => ({}))) as { message?: string; errors?: Record<string, string> };
    if (response.status === 201) {
      router.push("/apply");
      router.refresh();
    } else if (response.status === 202) {
      router.push(`/confirm?email=${encodeURIComponent(email.trim().toLowerCase())}`);
    } else {
      setErrors(body.errors ?? {});
      setMessage(body.message ?? "We could not create your account. Please try again.");
    }
  }

  return (
    <Stack component="form" spacing={2} onSubmit={submit} noValidate>
      {message && <Alert severity="error">{message}</Alert>}
      <TextField
        label="Email address"
        type="email"
        autoComplete="username"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        error={Boolean(errors.email)}
        helperText={errors.email}
        required
      />
      <TextField
        label="Create a password"
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={Boolean(errors.password)}
        helperText={errors.password ?? "At least 8 characters, with a capital letter, a small letter, a number and a symbol"}
        required
      />
      <TextField
        label="Type the password again"
        type="password"
        autoComplete="new-password"
        value={confirm}
        onChange={(e) => setConfirm(e.target.value)}
        error={Boolean(errors.confirm)}
        helperText={errors.confirm}
        required
      />
      <Button type="submit" variant="contained" size="large" disabled={busy}>
        Create my account
      </Button>
      <Typography>
        Already registered?{" "}
        <Link component={NextLink} href="/sign-in">
          Sign in
        </Link>
      </Typography>
    </Stack>
  );
}
