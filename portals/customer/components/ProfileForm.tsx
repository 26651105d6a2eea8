"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Checkbox from "@mui/material/Checkbox";
import CircularProgress from "@mui/material/CircularProgress";
import FormControlLabel from "@mui/material/FormControlLabel";
import MenuItem from "@mui/material/MenuItem";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { type FormEvent, useCallback, useEffect, useState } from "react";

import { asProblem, type Schemas } from "@ff/api-client";

import TrackingConsent from "@/components/TrackingConsent";
import { api, unwrap } from "@/lib/api";
import { fieldKey } from "@/lib/form";

type Me = Schemas["MeView"];

const CHANNELS: [Schemas["SettingsView"]["contact_channel"], string][] = [
  ["email", "Email"],
  ["sms", "Text message"],
  ["post", "Post"],
];

/** Profile and settings (`GET`/`PATCH /v1/me`, optimistic on the version). */
export default function ProfileForm() {
  const [me, setMe] = useState<Me | null>(null);
  const [name, setName] = useState("");
  const [mobile, setMobile] = useState("");
  const [settings, setSettings] = useState<Schemas["SettingsView"] | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [notice, setNotice] = useState<{ severity: "success" | "error" | "warning"; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  const show = useCallback((found: Me) => {
    setMe(found);
    setName(found.preferred_name ?? "");
    setMobile(found.mobile ?? "");
    setSettings(found.settings);
  }, []);

  const load = useCallback(() => api.GET("/v1/me").then((r) => show(unwrap(r))), [show]);
  useEffect(() => {
    load().catch(() => setNotice({ severity: "error", text: "We could not load your profile. Please try again later." }));
  }, [load]);

  async function save(event: FormEvent) {
    event.preventDefault();
    if (!me || !settings) return;
    setBusy(true);
    setErrors({});
    setNotice(null);
    const result = await api.PATCH("/v1/me", {
      body: { version: me.version, preferred_name: name.trim() || null, mobile: mobile.trim() || null, settings },
    });
    setBusy(false);
    if (result.response.ok && result.data) {
      show(result.data);
      setNotice({ severity: "success", text: "Your changes are saved." });
      return;
    }
    const problem = asProblem(result.error);
    if (result.response.status === 409 || result.response.status === 412) {
      await load();
      setNotice({ severity: "warning", text: "Your profile changed somewhere else, so we have loaded the latest version. Please make your change again." });
    } else if (problem?.errors?.length) {
      setErrors(Object.fromEntries(problem.errors.map((e) => [fieldKey("", e.path).replace(/^\./, ""), e.message])));
    } else {
      setNotice({ severity: "error", text: problem?.detail ?? "We could not save your changes. Please try again." });
    }
  }

  if (!me || !settings) return notice ? <Alert severity={notice.severity}>{notice.text}</Alert> : <CircularProgress aria-label="Loading" />;
  return (
    <Stack component="form" spacing={2} onSubmit={save} noValidate>
      <Typography variant="h4" component="h1">
        Your profile
      </Typography>
      {notice && <Alert severity={notice.severity}>{notice.text}</Alert>}
      <Typography>Email address: {me.email ?? "not given"}</Typography>
      <TextField label="What should we call you?" value={name} onChange={(e) => setName(e.target.value)} error={Boolean(errors.preferred_name)} helperText={errors.preferred_name} />
      <TextField
        label="Mobile number"
        value={mobile}
        onChange={(e) => setMobile(e.target.value)}
        error={Boolean(errors.mobile)}
        helperText={errors.mobile ?? "For example 07700 900123"}
        slotProps={{ htmlInput: { inputMode: "tel", autoComplete: "tel" } }}
      />
      <Typography variant="h5" component="h2">
        Settings
      </Typography>
      <TextField
        select
        label="How should we contact you?"
        value={settings.contact_channel}
        onChange={(e) => setSettings({ ...settings, contact_channel: e.target.value as Schemas["SettingsView"]["contact_channel"] })}
      >
        {CHANNELS.map(([value, label]) => (
          <MenuItem key={value} value={value}>
            {label}
          </MenuItem>
        ))}
      </TextField>
      <FormControlLabel
        control={<Checkbox checked={settings.paperless} onChange={(e) => setSettings({ ...settings, paperless: e.target.checked })} />}
        label="Paperless: send my statements by email"
      />
      <FormControlLabel
        control={<Checkbox checked={settings.marketing_opt_in} onChange={(e) => setSettings({ ...settings, marketing_opt_in: e.target.checked })} />}
        label="Send me news and offers"
      />
      <Button type="submit" variant="contained" size="large" disabled={busy}>
        Save my changes
      </Button>
      <Typography variant="h5" component="h2">
        Helping us improve
      </Typography>
      <TrackingConsent asSwitch />
    </Stack>
  );
}
