"use client";
/** A customer's audited edit, subject-access export and erasure, each shown only to a role
 * allowed it; a stale version reloads the record and says so instead of overwriting. */

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import { useState } from "react";

import type { Schemas } from "@ff/api-client";

import { api, asProblemText } from "@/lib/api";
import { can, useMe } from "@/lib/me";

type Customer = Schemas["StaffCustomerView"];
export type Notice = { severity: "success" | "warning" | "error"; text: string };

export const STALE = "Someone else changed this customer since you opened the file. We have reloaded it: check the latest details and try again.";

export default function CustomerActions({ customer, reload, notify }: { customer: Customer; reload: () => Promise<void>; notify: (n: Notice) => void }) {
  const me = useMe();
  const [dialog, setDialog] = useState<"edit" | "erase" | null>(null);
  const [form, setForm] = useState({ preferred_name: "", email: "", mobile: "" });
  const [confirmText, setConfirmText] = useState("");
  const [busy, setBusy] = useState(false);
  const path = { customer_id: customer.id };
  const erased = customer.erased_at !== null;

  async function outcome(label: string, response: Response, error: unknown) {
    setDialog(null);
    if (response.ok) {
      notify({ severity: "success", text: `${label}: done.` });
    } else if (response.status === 409 || response.status === 412) {
      notify({ severity: "warning", text: STALE });
    } else {
      notify({ severity: "error", text: asProblemText(error) ?? `${label} failed (${response.status}).` });
    }
    await reload();
  }

  async function save() {
    setBusy(true);
    const changed = (Object.keys(form) as (keyof typeof form)[]).filter((k) => form[k].trim() !== (customer[k] ?? ""));
    const body: Schemas["CustomerPatch"] = { version: customer.version };
    for (const k of changed) body[k] = form[k].trim() || null;
    const { response, error } = await api.PATCH("/v1/staff/customers/{customer_id}", { params: { path }, body });
    setBusy(false);
    await outcome("Profile saved", response, error);
  }

  async function exportData() {
    setBusy(true);
    const { data, response, error } = await api.GET("/v1/staff/customers/{customer_id}/export", { params: { path } });
    setBusy(false);
    if (!response.ok || !data) {
      notify({ severity: "error", text: asProblemText(error) ?? `The export failed (${response.status}).` });
      return;
    }
    const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: "application/json" }));
    const link = document.createElement("a");
    link.href = url;
    link.download = `subject-access-${customer.id}.json`;
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    notify({ severity: "success", text: "The subject-access export has been downloaded." });
  }

  async function erase() {
    setBusy(true);
    const { data, response, error } = await api.POST("/v1/staff/customers/{customer_id}/erase", { params: { path }, body: { version: customer.version } });
    setBusy(false);
    await outcome("Erasure", response, error);
    if (data) notify({ severity: "success", text: `Erased: ${data.documents_deleted} documents deleted, ${data.applications_anonymised} applications anonymised. Kept: ${data.retained.map(String).join("; ") || "nothing"}.` });
  }

  return (
    <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap" }} role="group" aria-label="Customer actions">
      {can(me, "customers.edit") && !erased && (
        <Button
          variant="outlined"
          onClick={() => {
            setForm({ preferred_name: customer.preferred_name ?? "", email: customer.email ?? "", mobile: customer.mobile ?? "" });
            setDialog("edit");
          }}
        >
          Edit profile
        </Button>
      )}
      {can(me, "customers.export") && (
        <Button variant="outlined" disabled={busy} onClick={() => void exportData()}>
          Export their data
        </Button>
      )}
      {can(me, "customers.erase") && !erased && (
        <Button variant="outlined" color="error" onClick={() => { setConfirmText(""); setDialog("erase"); }}>
          Erase
        </Button>
      )}
      <Dialog open={dialog === "edit"} onClose={() => setDialog(null)} aria-labelledby="edit-title">
        <DialogTitle id="edit-title">Edit the profile</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1 }}>
            <TextField label="Preferred name" value={form.preferred_name} onChange={(e) => setForm({ ...form, preferred_name: e.target.value })} />
            <TextField label="E-mail" type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
            <TextField label="Mobile" value={form.mobile} onChange={(e) => setForm({ ...form, mobile: e.target.value })} />
            <Alert severity="info">Every change is recorded in the audit log with its before and after.</Alert>
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setDialog(null)}>Cancel</Button>
          <Button variant="contained" disabled={busy} onClick={() => void save()}>
            Save
          </Button>
        </DialogActions>
      </Dialog>
      <Dialog open={dialog === "erase"} onClose={() => setDialog(null)} aria-labelledby="erase-title">
        <DialogTitle id="erase-title">Erase this customer?</DialogTitle>
        <DialogContent>
          <DialogContentText gutterBottom>
            Their personal data is anonymised everywhere, their documents and login are deleted, and the key that sealed their audit values is destroyed.
            This cannot be undone. What a regulated loan record must keep is kept, and listed.
          </DialogContentText>
          <TextField label="Type ERASE to confirm" value={confirmText} onChange={(e) => setConfirmText(e.target.value)} fullWidth sx={{ mt: 1 }} />
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setDialog(null)}>Cancel</Button>
          <Button color="error" variant="contained" disabled={busy || confirmText !== "ERASE"} onClick={() => void erase()}>
            Erase
          </Button>
        </DialogActions>
      </Dialog>
    </Stack>
  );
}
