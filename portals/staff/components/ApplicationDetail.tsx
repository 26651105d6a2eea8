"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import Chip from "@mui/material/Chip";
import CircularProgress from "@mui/material/CircularProgress";
import Dialog from "@mui/material/Dialog";
import DialogActions from "@mui/material/DialogActions";
import DialogContent from "@mui/material/DialogContent";
import DialogTitle from "@mui/material/DialogTitle";
import Grid from "@mui/material/Grid";
import MenuItem from "@mui/material/MenuItem";
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

import { DocumentsSection, DuplicatesSection, OpenBankingSection, SyncSection } from "@/components/DetailSections";
import Section from "@/components/Section";
import { ApiProblem, api, pounds, unwrap, when, words } from "@/lib/api";
import { can, useMe } from "@/lib/me";
import { visibleActions } from "@/lib/permissions";

type Detail = Schemas["StaffApplicationDetail"];
type DeclineReason = Schemas["DeclineReason"];
type Dialogs = "approve" | "decline" | "request" | null;
const DECLINE_REASONS: DeclineReason[] = [
  "unaffordable",
  "existing_debt_too_high",
  "adverse_credit_history",
  "income_not_verified",
  "identity_not_verified",
  "information_not_provided",
  "outside_lending_policy",
  "suspected_fraud",
  "other",
];

function requested(detail: Detail): { amount: number | null; term: number | null } {
  const loan = (detail.steps as Record<string, Record<string, unknown> | null> | undefined)?.loan;
  const offer = detail.decision?.offer;
  return {
    amount: offer?.amount_pence ?? (typeof loan?.amount_pence === "number" ? loan.amount_pence : null),
    term: offer?.term_months ?? (typeof loan?.term_months === "number" ? loan.term_months : null),
  };
}

export default function ApplicationDetail({ id }: { id: string }) {
  const me = useMe();
  const [detail, setDetail] = useState<Detail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<{ severity: "success" | "warning" | "error"; text: string } | null>(null);
  const [dialog, setDialog] = useState<Dialogs>(null);
  const [busy, setBusy] = useState(false);
  const [amount, setAmount] = useState("");
  const [term, setTerm] = useState("");
  const [reason, setReason] = useState<DeclineReason>("unaffordable");
  const [text, setText] = useState("");
  const [note, setNote] = useState("");

  const fetchDetail = useCallback(
    () =>
      api
        .GET("/v1/staff/applications/{application_id}", { params: { path: { application_id: id } } })
        .then((r) => setDetail(unwrap(r)))
        .catch((e: unknown) =>
          setError(e instanceof ApiProblem && e.status === 403 ? "You do not have access to applications." : "This application could not be loaded."),
        ),
    [id],
  );
  const load = fetchDetail;

  useEffect(() => {
    void fetchDetail();
  }, [fetchDetail]);

  async function act(label: string, call: () => Promise<{ data?: unknown; error?: unknown; response: Response }>) {
    setBusy(true);
    setNotice(null);
    try {
      const result = await call();
      if (result.response.ok) {
        setDialog(null);
        setNotice({ severity: "success", text: `${label}: done.` });
        await load();
        return;
      }
      if (result.response.status === 409 || result.response.status === 412) {
        setDialog(null);
        await load();
        setNotice({
          severity: "warning",
          text: "Someone else changed this application since you opened it. We have reloaded it: check the latest details and try again.",
        });
        return;
      }
      const problem = result.error as { detail?: string; title?: string } | undefined;
      setNotice({ severity: "error", text: problem?.detail ?? problem?.title ?? `${label} failed.` });
    } finally {
      setBusy(false);
    }
  }

  if (error) return <Alert severity="error">{error}</Alert>;
  if (!detail || me === undefined) return <CircularProgress aria-label="Loading" />;

  const path = { application_id: detail.id };
  const version = detail.version;
  const actions = new Set(
    visibleActions({
      permissions: me?.permissions ?? [],
      allowedActions: detail.allowed_actions,
      assignedTo: detail.assigned_to?.staff.id ?? null,
      me: me?.id ?? null,
    }),
  );
  const { amount: askedAmount, term: askedTerm } = requested(detail);
  const decision = detail.decision;

  function openApprove() {
    setAmount(askedAmount ? String(askedAmount / 100) : "");
    setTerm(askedTerm ? String(askedTerm) : "");
    setDialog("approve");
  }

  return (
    <Stack spacing={2}>
      <Link href="/">Back to the queue</Link>
      <Typography variant="h4" component="h1">
        Application {detail.reference}
      </Typography>
      <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap" }}>
        <Chip label={words(detail.status)} color="primary" />
        {decision && <Chip label={`Engine: ${words(decision.outcome)}`} />}
        <Chip label={`Assigned to: ${detail.assigned_to?.staff.username ?? "nobody"}`} />
        <Chip label={`Version ${version}`} variant="outlined" />
      </Stack>
      {notice && (
        <Alert severity={notice.severity} role="status">
          {notice.text}
        </Alert>
      )}
      <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap" }} role="group" aria-label="Actions">
        {actions.has("assign") && (
          <Button variant="outlined" disabled={busy} onClick={() => act("Assign", () => api.POST("/v1/staff/applications/{application_id}/assign", { params: { path }, body: { staff_id: me?.id ?? null, version } }))}>
            Assign to me
          </Button>
        )}
        {actions.has("unassign") && (
          <Button variant="outlined" disabled={busy} onClick={() => act("Unassign", () => api.POST("/v1/staff/applications/{application_id}/unassign", { params: { path }, body: { version } }))}>
            Unassign
          </Button>
        )}
        {actions.has("approve") && (
          <Button variant="contained" color="success" disabled={busy} onClick={openApprove}>
            Approve
          </Button>
        )}
        {actions.has("confirm_approval") && (
          <Button variant="contained" color="success" disabled={busy} onClick={() => act("Confirm approval", () => api.POST("/v1/staff/applications/{application_id}/confirm-approval", { params: { path }, body: { version } }))}>
            Confirm approval
          </Button>
        )}
        {actions.has("decline") && (
          <Button variant="outlined" color="error" disabled={busy} onClick={() => { setText(""); setDialog("decline"); }}>
            Decline
          </Button>
        )}
        {actions.has("request_information") && (
          <Button variant="outlined" disabled={busy} onClick={() => { setText(""); setDialog("request"); }}>
            Request information
          </Button>
        )}
      </Stack>

      <Grid container spacing={2}>
        <Grid size={{ xs: 12, md: 6 }}>
          <Section title="Request">
            <Typography>
              {pounds(askedAmount)} over {askedTerm ?? "—"} months
            </Typography>
            <Typography>Created {when(detail.created_at)}</Typography>
            {detail.offer && (
              <Typography>
                Offer made: {pounds(detail.offer.offer.amount_pence)} over {detail.offer.offer.term_months} months
              </Typography>
            )}
            {detail.proposal && (
              <Typography>
                Approval proposed by {detail.proposal.proposed_by.username}: {pounds(detail.proposal.offer.amount_pence)} over {detail.proposal.offer.term_months} months; a second approver must confirm
                (above {pounds(detail.four_eyes_threshold_pence)}).
              </Typography>
            )}
          </Section>
        </Grid>
        <Grid size={{ xs: 12, md: 6 }}>
          <Section title="Affordability">
            {decision?.affordability ? (
              <Table size="small" aria-label="Affordability">
                <TableBody>
                  {Object.entries(decision.affordability).map(([key, value]) => (
                    <TableRow key={key}>
                      <TableCell component="th" scope="row">
                        {words(key.replace(/_pence$/, ""))}
                      </TableCell>
                      <TableCell align="right">{key.endsWith("_pence") && typeof value === "number" ? pounds(value) : String(value)}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            ) : (
              <Typography>No affordability figures yet.</Typography>
            )}
          </Section>
        </Grid>
        <Grid size={{ xs: 12 }}>
          <Section title="Decision trace">
            {decision ? (
              <>
                <Typography gutterBottom>
                  Outcome {words(decision.outcome)} (rules {decision.rule_set_version}); reasons: {decision.reasons.map(words).join(", ") || "none"}
                </Typography>
                <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap", mb: 1 }} role="group" aria-label="Risk flags">
                  {decision.risk_flags.length === 0 ? <Typography>No risk flags.</Typography> : decision.risk_flags.map((f) => <Chip key={f} color="warning" label={words(f)} />)}
                </Stack>
                <Table size="small" aria-label="Rules">
                  <TableHead>
                    <TableRow>
                      <TableCell>Rule</TableCell>
                      <TableCell>Result</TableCell>
                      <TableCell>Detail</TableCell>
                    </TableRow>
                  </TableHead>
                  <TableBody>
                    {decision.trace.map((rule) => (
                      <TableRow key={rule.rule}>
                        <TableCell>{words(rule.rule)}</TableCell>
                        <TableCell>{rule.passed ? "Passed" : "Failed"}</TableCell>
                        <TableCell>{rule.detail}</TableCell>
                      </TableRow>
                    ))}
                  </TableBody>
                </Table>
              </>
            ) : (
              <Typography>Not decided yet.</Typography>
            )}
          </Section>
        </Grid>
        <Grid size={{ xs: 12, md: 6 }}>
          <OpenBankingSection detail={detail} />
        </Grid>
        <Grid size={{ xs: 12, md: 6 }}>
          <DuplicatesSection detail={detail} />
        </Grid>
        <Grid size={{ xs: 12, md: 6 }}>
          <SyncSection detail={detail} />
        </Grid>
        <Grid size={{ xs: 12, md: 6 }}>
          <DocumentsSection documents={detail.documents} />
        </Grid>
        <Grid size={{ xs: 12, md: 6 }}>
          <Section title="Notes">
            {detail.notes.length === 0 && <Typography>No notes yet.</Typography>}
            {detail.notes.map((n) => (
              <Typography key={n.id} sx={{ mb: 1 }}>
                <strong>{n.author.username}</strong>, {when(n.created_at)}: {n.text}
              </Typography>
            ))}
            {can(me, "applications.note") && (
              <Stack
                component="form"
                direction="row"
                spacing={1}
                sx={{ mt: 1 }}
                onSubmit={(e) => {
                  e.preventDefault();
                  if (!note.trim()) return;
                  void act("Note", () => api.POST("/v1/staff/applications/{application_id}/notes", { params: { path }, body: { text: note.trim(), version } })).then(() => setNote(""));
                }}
              >
                <TextField label="Add a note" value={note} onChange={(e) => setNote(e.target.value)} size="small" sx={{ flexGrow: 1 }} />
                <Button type="submit" disabled={busy}>
                  Add note
                </Button>
              </Stack>
            )}
          </Section>
        </Grid>
        <Grid size={{ xs: 12 }}>
          <Section title="Audit">
            {detail.audit.length === 0 ? (
              <Typography>No audit entries.</Typography>
            ) : (
              <Table size="small" aria-label="Audit">
                <TableBody>
                  {detail.audit.map((a) => (
                    <TableRow key={a.id}>
                      <TableCell>{when(a.at)}</TableCell>
                      <TableCell>{words(a.action.replace(/\./g, " "))}</TableCell>
                      <TableCell>{String(a.actor.username ?? a.actor.kind ?? "")}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            )}
          </Section>
        </Grid>
      </Grid>

      <Dialog open={dialog === "approve"} onClose={() => setDialog(null)} aria-labelledby="approve-title">
        <DialogTitle id="approve-title">Approve with an offer</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1 }}>
            <TextField label="Amount (£)" value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="decimal" />
            <TextField label="Term (months)" value={term} onChange={(e) => setTerm(e.target.value)} inputMode="numeric" />
            <Typography variant="body2">Offers above {pounds(detail.four_eyes_threshold_pence)} need a senior underwriter to confirm.</Typography>
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setDialog(null)}>Cancel</Button>
          <Button
            variant="contained"
            disabled={busy}
            onClick={() =>
              act("Approve", () =>
                api.POST("/v1/staff/applications/{application_id}/approve", {
                  params: { path },
                  body: { amount_pence: Math.round(Number(amount) * 100), term_months: Number(term), version },
                }),
              )
            }
          >
            Approve and make the offer
          </Button>
        </DialogActions>
      </Dialog>

      <Dialog open={dialog === "decline"} onClose={() => setDialog(null)} aria-labelledby="decline-title">
        <DialogTitle id="decline-title">Decline the application</DialogTitle>
        <DialogContent>
          <Stack spacing={2} sx={{ mt: 1 }}>
            <TextField select label="Reason" value={reason} onChange={(e) => setReason(e.target.value as DeclineReason)}>
              {DECLINE_REASONS.map((r) => (
                <MenuItem key={r} value={r}>
                  {words(r)}
                </MenuItem>
              ))}
            </TextField>
            <TextField label="Note for the file" value={text} onChange={(e) => setText(e.target.value)} multiline minRows={3} />
          </Stack>
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setDialog(null)}>Cancel</Button>
          <Button color="error" variant="contained" disabled={busy || !text.trim()} onClick={() => act("Decline", () => api.POST("/v1/staff/applications/{application_id}/decline", { params: { path }, body: { reason_code: reason, note: text.trim(), version } }))}>
            Decline
          </Button>
        </DialogActions>
      </Dialog>

      <Dialog open={dialog === "request"} onClose={() => setDialog(null)} aria-labelledby="request-title">
        <DialogTitle id="request-title">Request information from the customer</DialogTitle>
        <DialogContent>
          <TextField sx={{ mt: 1 }} fullWidth label="What do you need?" value={text} onChange={(e) => setText(e.target.value)} multiline minRows={3} />
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setDialog(null)}>Cancel</Button>
          <Button variant="contained" disabled={busy || !text.trim()} onClick={() => act("Request information", () => api.POST("/v1/staff/applications/{application_id}/request-information", { params: { path }, body: { needed: text.trim(), version } }))}>
            Send the request
          </Button>
        </DialogActions>
      </Dialog>
    </Stack>
  );
}
