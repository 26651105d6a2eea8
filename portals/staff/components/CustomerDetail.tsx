"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import CircularProgress from "@mui/material/CircularProgress";
import Grid from "@mui/material/Grid";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import Link from "next/link";
import { useCallback, useEffect, useState } from "react";

import type { Schemas } from "@ff/api-client";

import CustomerActions, { type Notice, STALE } from "@/components/CustomerActions";
import { DocumentsSection } from "@/components/DetailSections";
import Section from "@/components/Section";
import { ApiProblem, api, asProblemText, pounds, unwrap, when, words } from "@/lib/api";
import { can, useMe } from "@/lib/me";

type Customer = Schemas["StaffCustomerView"];
type Crm = Schemas["CrmSyncView"] | null;

function fullName(customer: Customer): string {
  const identity = customer.identity;
  const name = [identity?.title, identity?.first_name, identity?.last_name].filter(Boolean).join(" ");
  return name || customer.preferred_name || customer.email || "Customer";
}

function address(identity: Customer["identity"]): string {
  const a = identity?.address as Record<string, unknown> | null | undefined;
  if (!a) return "—";
  return ["line1", "line2", "town", "postcode"].map((k) => a[k]).filter((v) => typeof v === "string" && v).join(", ") || "—";
}

export default function CustomerDetail({ id }: { id: string }) {
  const me = useMe();
  const [customer, setCustomer] = useState<Customer | null>(null);
  const [crm, setCrm] = useState<Record<string, Crm>>({});
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [note, setNote] = useState("");

  const load = useCallback(async () => {
    try {
      const value = unwrap(await api.GET("/v1/staff/customers/{customer_id}", { params: { path: { customer_id: id } } }));
      setCustomer(value);
      // The CRM sync state lives on each application's record.
      const states = await Promise.all(
        value.applications.slice(0, 5).map(async (a) => {
          const r = await api.GET("/v1/staff/applications/{application_id}", { params: { path: { application_id: a.id } } });
          return [a.id, r.data?.crm ?? null] as const;
        }),
      );
      setCrm(Object.fromEntries(states));
    } catch (e) {
      setError(e instanceof ApiProblem && e.status === 404 ? "No customer has this id." : "This customer could not be loaded.");
    }
  }, [id]);
  useEffect(() => {
    queueMicrotask(() => void load());
  }, [load]);

  async function addNote() {
    if (!customer || !note.trim()) return;
    const { response, error: problem } = await api.POST("/v1/staff/customers/{customer_id}/notes", { params: { path: { customer_id: customer.id } }, body: { text: note.trim(), version: customer.version } });
    if (response.ok) {
      setNote("");
      setNotice({ severity: "success", text: "Note added." });
    } else {
      setNotice(response.status === 409 ? { severity: "warning", text: STALE } : { severity: "error", text: asProblemText(problem) ?? "The note was not saved." });
    }
    await load();
  }

  if (error) return <Alert severity="error">{error}</Alert>;
  if (!customer) return <CircularProgress aria-label="Loading" />;
  return (
    <Stack spacing={2}>
      <Link href="/customers">Back to customers</Link>
      <Typography variant="h4" component="h1">
        {fullName(customer)}
      </Typography>
      <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap" }}>
        {customer.erased_at && <Chip color="error" label={`Erased ${when(customer.erased_at)}`} />}
        <Chip label={`Customer since ${when(customer.created_at)}`} />
        <Chip variant="outlined" label={`Version ${customer.version}`} />
      </Stack>
      {notice && (
        <Alert severity={notice.severity} role="status">
          {notice.text}
        </Alert>
      )}
      <CustomerActions customer={customer} reload={load} notify={setNotice} />
      <Grid container spacing={2}>
        <Grid size={{ xs: 12, md: 6 }}>
          <Section title="Profile">
            <Table size="small" aria-label="Profile">
              <TableBody>
                {[
                  ["Preferred name", customer.preferred_name ?? "—"],
                  ["E-mail", customer.email ?? "—"],
                  ["Mobile", customer.mobile ?? "—"],
                  ["Date of birth", customer.identity?.date_of_birth ?? "—"],
                  ["Address", address(customer.identity)],
                  ["Last changed", when(customer.updated_at)],
                ].map(([k, v]) => (
                  <TableRow key={k}>
                    <TableCell component="th" scope="row">
                      {k}
                    </TableCell>
                    <TableCell>{v}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </Section>
        </Grid>
        <Grid size={{ xs: 12, md: 6 }}>
          <Section title="Applications and CRM sync">
            {customer.applications.length === 0 && <Typography>No applications.</Typography>}
            {customer.applications.length > 0 && (
              <Table size="small" aria-label="Applications">
                <TableHead>
                  <TableRow>
                    <TableCell>Reference</TableCell>
                    <TableCell align="right">Amount</TableCell>
                    <TableCell>Status</TableCell>
                    <TableCell>CRM</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {customer.applications.map((a) => {
                    const state = crm[a.id];
                    return (
                      <TableRow key={a.id}>
                        <TableCell>
                          <Link href={`/applications/${a.id}`}>{a.reference}</Link>
                        </TableCell>
                        <TableCell align="right">{pounds(a.amount_pence)}</TableCell>
                        <TableCell>{words(a.status)}</TableCell>
                        <TableCell>{state ? `${words(state.state)}${state.synced_at ? `, ${when(state.synced_at)}` : ""}` : "Not sent"}</TableCell>
                      </TableRow>
                    );
                  })}
                </TableBody>
              </Table>
            )}
          </Section>
        </Grid>
        <Grid size={{ xs: 12, md: 6 }}>
          <DocumentsSection documents={customer.documents} />
        </Grid>
        <Grid size={{ xs: 12, md: 6 }}>
          <Section title="Notes">
            {customer.notes.length === 0 && <Typography>No notes yet.</Typography>}
            {customer.notes.map((n) => (
              <Typography key={n.id} sx={{ mb: 1 }}>
                <strong>{n.author.username}</strong>, {when(n.created_at)}: {n.text}
              </Typography>
            ))}
            {can(me, "customers.note") && !customer.erased_at && (
              <Stack
                component="form"
                direction="row"
                spacing={1}
                sx={{ mt: 1 }}
                onSubmit={(e) => {
                  e.preventDefault();
                  void addNote();
                }}
              >
                <TextField label="Add a note" value={note} onChange={(e) => setNote(e.target.value)} size="small" sx={{ flexGrow: 1 }} />
                <Button type="submit">Add note</Button>
              </Stack>
            )}
          </Section>
        </Grid>
      </Grid>
    </Stack>
  );
}
