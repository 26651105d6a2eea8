"use client";
/** The parts of an application's detail that only show what the API holds: open banking,
 * duplicates, the CRM and LMS sync state, and documents previewed through expiring links. */

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableRow from "@mui/material/TableRow";
import Typography from "@mui/material/Typography";
import Link from "next/link";
import { useState } from "react";

import type { Schemas } from "@ff/api-client";

import Section from "@/components/Section";
import { ApiProblem, api, pounds, unwrap, when, words } from "@/lib/api";

type Detail = Schemas["StaffApplicationDetail"];

function Rows({ label, rows }: { label: string; rows: [string, string][] }) {
  return (
    <Table size="small" aria-label={label}>
      <TableBody>
        {rows.map(([name, value]) => (
          <TableRow key={name}>
            <TableCell component="th" scope="row">
              {name}
            </TableCell>
            <TableCell align="right">{value}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

export function OpenBankingSection({ detail }: { detail: Detail }) {
  const ob = detail.open_banking;
  const summary = ob?.summary;
  return (
    <Section title="Open banking">
      {!ob && <Typography>The customer has not connected a bank account.</Typography>}
      {ob && (
        <Typography gutterBottom>
          {words(ob.state)} (attempt {ob.attempt}, started {when(ob.started_at)}
          {ob.completed_at ? `, completed ${when(ob.completed_at)}` : ""}){ob.last_error ? `: ${ob.last_error}` : ""}
        </Typography>
      )}
      {summary && (
        <>
          <Typography variant="body2" gutterBottom>
            {summary.months_analysed} months analysed, {summary.period_start} to {summary.period_end}
          </Typography>
          <Rows
            label="Open banking summary"
            rows={[
              ["Monthly income", pounds(summary.monthly_income_pence)],
              ["Essential spending a month", pounds(summary.monthly_essential_spend_pence)],
              ["Discretionary spending a month", pounds(summary.monthly_discretionary_spend_pence)],
              ["Credit commitments a month", pounds(summary.monthly_credit_commitments_pence)],
              ["Days overdrawn", String(summary.days_overdrawn)],
              ["Returned payments", `${summary.returned_payments} (${pounds(summary.returned_payments_total_pence)})`],
              ["Gambling", `${summary.gambling_transactions} payments, ${pounds(summary.gambling_monthly_average_pence)} a month`],
            ]}
          />
          {summary.income_streams.length > 0 && (
            <Typography variant="body2" sx={{ mt: 1 }}>
              Income: {summary.income_streams.map((s) => `${s.description} (${words(s.frequency)}, ${pounds(s.monthly_average_pence)} a month)`).join("; ")}
            </Typography>
          )}
          <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap", mt: 1 }} role="group" aria-label="Open banking flags">
            {summary.flags.map((f) => (
              <Chip key={f} color="warning" label={words(f)} />
            ))}
          </Stack>
        </>
      )}
    </Section>
  );
}

export function DuplicatesSection({ detail }: { detail: Detail }) {
  const cluster = detail.duplicates;
  const others = cluster?.applications.filter((a) => a.application_id !== detail.id) ?? [];
  return (
    <Section title="Possible duplicates">
      {others.length === 0 ? (
        <Typography>No other application shares this one&apos;s e-mail, phone, device or bank account.</Typography>
      ) : (
        <>
          <Typography gutterBottom>
            Shares {cluster?.signals.map((s) => words(s.kind)).join(", ")} with:
          </Typography>
          <ul>
            {others.map((a) => (
              <li key={a.application_id}>
                <Link href={`/applications/${a.application_id}`}>Application first seen {when(a.first_seen)}</Link>
              </li>
            ))}
          </ul>
        </>
      )}
    </Section>
  );
}

export function SyncSection({ detail }: { detail: Detail }) {
  const { crm, lms } = detail;
  return (
    <Section title="CRM and loan system">
      <Rows
        label="Sync state"
        rows={[
          ["CRM", crm ? `${words(crm.state)}${crm.synced_at ? `, ${when(crm.synced_at)}` : ""}` : "Not sent"],
          ["CRM contact", crm?.contact_id ?? "—"],
          ["Loan system", lms ? `${words(lms.state)}${lms.synced_at ? `, ${when(lms.synced_at)}` : ""}` : "Not sent"],
          ["Agreement", lms?.agreement_number ?? "—"],
        ]}
      />
      {(crm?.last_error || lms?.last_error) && (
        <Alert severity="warning" sx={{ mt: 1 }}>
          {crm?.last_error ?? lms?.last_error}
        </Alert>
      )}
    </Section>
  );
}

type DocumentLike = Pick<Schemas["DocumentView"], "id" | "kind" | "content_type" | "size_bytes" | "status">;
type Preview = { title: string; url: string; contentType: string };

export function DocumentsSection({ documents }: { documents: DocumentLike[] }) {
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  async function open(doc: DocumentLike) {
    setError(null);
    try {
      const view = unwrap(await api.GET("/v1/staff/documents/{document_id}", { params: { path: { document_id: doc.id } } }));
      if (!view.download_url) {
        setError("This document has no file to show yet.");
        return;
      }
      setPreview({ title: words(doc.kind), url: view.download_url, contentType: doc.content_type });
    } catch (e) {
      setError(e instanceof ApiProblem && e.status === 403 ? "You may not open documents." : "The document could not be opened.");
    }
  }
  return (
    <Section title="Documents">
      {documents.length === 0 && <Typography>No documents.</Typography>}
      <ul>
        {documents.map((d) => (
          <li key={d.id}>
            {words(d.kind)}: {d.content_type}, {Math.ceil(d.size_bytes / 1024)} KB, {words(d.status)}{" "}
            {d.status === "available" ? (
              <Button size="small" onClick={() => void open(d)} aria-label={`Preview ${words(d.kind)}`}>
                Preview
              </Button>
            ) : null}
          </li>
        ))}
      </ul>
      {error && <Alert severity="error">{error}</Alert>}
      <Dialog open={preview !== null} onClose={() => setPreview(null)} fullWidth maxWidth="md" aria-labelledby="preview-title">
        <DialogTitle id="preview-title">{preview?.title}</DialogTitle>
        <DialogContent>
          <Typography variant="body2" gutterBottom>
            This link expires after a few minutes; open the document again from the application to get a fresh one.
          </Typography>
          {preview?.contentType.startsWith("image/") ? (
            // eslint-disable-next-line @next/next/no-img-element
            <img src={preview.url} alt={preview.title} style={{ maxWidth: "100%" }} />
          ) : (
            preview && <iframe src={preview.url} title={preview.title} style={{ width: "100%", height: "70vh", border: 0 }} />
          )}
        </DialogContent>
        <DialogActions>
          {preview && (
            <Button component="a" href={preview.url} target="_blank" rel="noopener noreferrer">
              Open in a new tab
            </Button>
          )}
          <Button onClick={() => setPreview(null)}>Close</Button>
        </DialogActions>
      </Dialog>
    </Section>
  );
}
