"use client";
/** LMS operations: the nightly loan-book backup's runs and backups, a run on demand, a restore
 * into service and the switch back to the previous loan book. */

import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import CircularProgress from "@mui/material/CircularProgress";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogContentText from "@mui/material/DialogContentText";
import DialogTitle from "@mui/material/DialogTitle";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useCallback, useEffect, useState } from "react";

import type { Schemas } from "@ff/api-client";

import Section from "@/components/Section";
import { api, asProblemText, when, words } from "@/lib/api";

const HIDDEN = { position: "absolute", width: 1, height: 1, overflow: "hidden", clip: "rect(0 0 0 0)", whiteSpace: "nowrap" } as const;

type Confirm = { kind: "run" } | { kind: "rollback" } | { kind: "restore"; backup: Schemas["BackupView"] } | null;

function steps(items: { step: string; status: string }[]): string {
  return items.map((s) => `${words(s.step)}: ${s.status}`).join(", ") || "—";
}

export default function Operations() {
  const [loanbook, setLoanbook] = useState<Schemas["LoanBookView"] | null>(null);
  const [runs, setRuns] = useState<Schemas["ops_schemas_RunView"][] | null>(null);
  const [backups, setBackups] = useState<Schemas["BackupView"][] | null>(null);
  const [confirm, setConfirm] = useState<Confirm>(null);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ severity: "success" | "error"; text: string } | null>(null);

  const load = useCallback(async () => {
    const [book, runPage, backupPage] = await Promise.all([
      api.GET("/v1/staff/ops/lms/loanbook"),
      api.GET("/v1/staff/ops/lms/runs", { params: { query: { limit: 10 } } }),
      api.GET("/v1/staff/ops/lms/backups", { params: { query: { limit: 10 } } }),
    ]);
    setLoanbook(book.data ?? { current_database: null, previous_database: null, switched_at: null, switched_by: null });
    setRuns(runPage.data?.items ?? []);
    setBackups(backupPage.data?.items ?? []);
  }, []);
  useEffect(() => {
    queueMicrotask(() => void load());
  }, [load]);

  async function carryOut() {
    if (!confirm) return;
    setBusy(true);
    const body = { reason: reason.trim() || null };
    const result =
      confirm.kind === "run"
        ? await api.POST("/v1/staff/ops/lms/runs", { body })
        : confirm.kind === "rollback"
          ? await api.POST("/v1/staff/ops/lms/loanbook/rollback", { body })
          : await api.POST("/v1/staff/ops/lms/backups/{backup_id}/restore", { params: { path: { backup_id: confirm.backup.id } }, body });
    setBusy(false);
    setConfirm(null);
    setReason("");
    if (result.response.ok) {
      setNotice({ severity: "success", text: confirm.kind === "run" ? "The backup run has been requested." : confirm.kind === "rollback" ? "The previous loan book is back in service." : "The restore has been requested." });
    } else {
      setNotice({ severity: "error", text: asProblemText(result.error) ?? `The request failed (${result.response.status}).` });
    }
    await load();
  }

  const titles = { run: "Run the backup now?", rollback: "Switch back to the previous loan book?", restore: "Restore this backup and put it in service?" };
  return (
    <Stack spacing={2}>
      <Typography variant="h4" component="h1">
        Loan-book operations
      </Typography>
      {notice && (
        <Alert severity={notice.severity} role="status">
          {notice.text}
        </Alert>
      )}
      <Section title="Loan book in service">
        {!loanbook ? (
          <CircularProgress aria-label="Loading the loan book" />
        ) : (
          <>
            <Typography>In service: {loanbook.current_database ?? "none yet"}</Typography>
            <Typography>Kept for rollback: {loanbook.previous_database ?? "none"}</Typography>
            <Typography gutterBottom>
              Last switched {when(loanbook.switched_at)}
              {loanbook.switched_by ? ` by ${loanbook.switched_by}` : ""}
            </Typography>
            <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap" }}>
              <Button variant="contained" onClick={() => setConfirm({ kind: "run" })}>
                Run the backup now
              </Button>
              <Button variant="outlined" color="warning" disabled={!loanbook.previous_database} onClick={() => setConfirm({ kind: "rollback" })}>
                Switch back to the previous loan book
              </Button>
            </Stack>
          </>
        )}
      </Section>
      <Section title="Runs">
        {!runs && <CircularProgress aria-label="Loading runs" />}
        {runs?.length === 0 && <Typography>No runs yet.</Typography>}
        {runs && runs.length > 0 && (
          <Table size="small" aria-label="Runs">
            <TableHead>
              <TableRow>
                <TableCell>Requested</TableCell>
                <TableCell>Trigger</TableCell>
                <TableCell>Status</TableCell>
                <TableCell>Steps</TableCell>
                <TableCell>Summary</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {runs.map((r) => (
                <TableRow key={r.id}>
                  <TableCell>{when(r.requested_at)}</TableCell>
                  <TableCell>
                    {r.trigger}
                    {r.requested_by ? ` (${r.requested_by})` : ""}
                  </TableCell>
                  <TableCell>{r.status}</TableCell>
                  <TableCell>{steps(r.steps)}</TableCell>
                  <TableCell>{r.error ?? r.summary ?? "—"}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Section>
      <Section title="Backups">
        {!backups && <CircularProgress aria-label="Loading backups" />}
        {backups?.length === 0 && <Typography>No backups found yet.</Typography>}
        {backups && backups.length > 0 && (
          <Table size="small" aria-label="Backups">
            <TableHead>
              <TableRow>
                <TableCell>Taken</TableCell>
                <TableCell>File</TableCell>
                <TableCell align="right">Size</TableCell>
                <TableCell>Steps</TableCell>
                <TableCell>
                  <Box component="span" sx={HIDDEN}>
                    Actions
                  </Box>
                </TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {backups.map((b) => (
                <TableRow key={b.id}>
                  <TableCell>{when(b.taken_at)}</TableCell>
                  <TableCell>{b.file_name}</TableCell>
                  <TableCell align="right">{Math.ceil(b.size_bytes / 1024).toLocaleString("en-GB")} KB</TableCell>
                  <TableCell>{steps(b.steps)}</TableCell>
                  <TableCell>
                    <Button size="small" onClick={() => setConfirm({ kind: "restore", backup: b })} aria-label={`Restore ${b.file_name}`}>
                      Restore
                    </Button>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </Section>
      <Dialog open={confirm !== null} onClose={() => setConfirm(null)} aria-labelledby="ops-confirm-title">
        <DialogTitle id="ops-confirm-title">{confirm ? titles[confirm.kind] : ""}</DialogTitle>
        <DialogContent>
          <DialogContentText gutterBottom>
            {confirm?.kind === "rollback"
              ? "The portals will read the loan book kept for rollback. The one in service now is kept in its place."
              : confirm?.kind === "restore"
                ? `${confirm.backup.file_name} is restored into a new database, verified, then put in service.`
                : "The restorer fetches last night's backup, converts and archives it, and restores it."}
          </DialogContentText>
          <TextField label="Reason (for the audit log)" value={reason} onChange={(e) => setReason(e.target.value)} fullWidth sx={{ mt: 1 }} />
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setConfirm(null)}>Cancel</Button>
          <Button variant="contained" disabled={busy} onClick={() => void carryOut()}>
            Confirm
          </Button>
        </DialogActions>
      </Dialog>
    </Stack>
  );
}
