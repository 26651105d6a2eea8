"use client";

import Alert from "@mui/material/Alert";
import Chip from "@mui/material/Chip";
import CircularProgress from "@mui/material/CircularProgress";
import MenuItem from "@mui/material/MenuItem";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableContainer from "@mui/material/TableContainer";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import Link from "next/link";
import { useEffect, useState } from "react";

import type { Schemas } from "@ff/api-client";

import { api, pounds, unwrap, when, words } from "@/lib/api";
import { can, useMe } from "@/lib/me";
import { navFor } from "@/lib/permissions";

type Status = Schemas["ApplicationStatus"];
type Outcome = Schemas["Outcome"];
type Sort = "submitted_at" | "-submitted_at" | "amount" | "-amount";
const QUEUE_STATUSES: Status[] = ["in_review", "awaiting_second_approval", "information_requested", "offered", "accepted", "declined"];
const OUTCOMES: Outcome[] = ["approve", "refer", "decline"];

export default function ReviewQueue() {
  const me = useMe();
  const [status, setStatus] = useState<Status | "">("in_review");
  const [assigned, setAssigned] = useState("");
  const [q, setQ] = useState("");
  const [outcome, setOutcome] = useState<Outcome | "">("");
  const [minAmount, setMinAmount] = useState("");
  const [maxAmount, setMaxAmount] = useState("");
  const [sort, setSort] = useState<Sort>("-submitted_at");
  const [items, setItems] = useState<Schemas["QueueItem"][] | null>(null);
  const [counts, setCounts] = useState<Schemas["QueueCounts"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const allowed = can(me, "applications.read");

  useEffect(() => {
    if (!allowed) return;
    const pence = (pounds: string) => (pounds.trim() && Number.isFinite(Number(pounds)) ? Math.round(Number(pounds) * 100) : undefined);
    const filters = {
      assigned_to: assigned || undefined,
      q: q.trim() || undefined,
      outcome: outcome || undefined,
      min_amount_pence: pence(minAmount),
      max_amount_pence: pence(maxAmount),
    };
    const query = { ...filters, status: status ? [status] : undefined, sort, limit: 50 };
    const timer = setTimeout(() => {
      Promise.all([
        api.GET("/v1/staff/applications", { params: { query } }),
        api.GET("/v1/staff/applications/counts", { params: { query: filters } }),
      ])
        .then(([page, totals]) => {
          setItems(unwrap(page).items);
          setCounts(unwrap(totals));
          setError(null);
        })
        .catch(() => setError("The queue could not be loaded. Try again in a moment."));
    }, 250);
    return () => clearTimeout(timer);
  }, [allowed, status, assigned, q, sort, outcome, minAmount, maxAmount]);

  if (me === undefined) return <CircularProgress aria-label="Loading" />;
  if (!allowed) {
    return (
      <Stack spacing={2}>
        <Typography variant="h4" component="h1">
          Welcome{me ? `, ${me.username}` : ""}
        </Typography>
        <Alert severity="info">
          Your role ({me?.roles.join(", ") || "none"}) does not include reviewing applications, so the review queue is
          not shown.
        </Alert>
        {me && navFor(me.permissions).length > 0 && (
          <nav aria-label="Your pages">
            <ul>
              {navFor(me.permissions).map((item) => (
                <li key={item.href}>
                  <Link href={item.href}>{item.label}</Link>
                </li>
              ))}
            </ul>
          </nav>
        )}
      </Stack>
    );
  }
  return (
    <Stack spacing={2}>
      <Typography variant="h4" component="h1">
        Review queue
      </Typography>
      {counts && (
        <Stack direction="row" spacing={1} useFlexGap sx={{ flexWrap: "wrap" }} role="group" aria-label="Applications by status">
          <Chip label={`All: ${counts.total}`} color={status === "" ? "primary" : "default"} onClick={() => setStatus("")} />
          {QUEUE_STATUSES.map((s) => (
            <Chip key={s} label={`${words(s)}: ${counts.counts[s] ?? 0}`} color={status === s ? "primary" : "default"} onClick={() => setStatus(s)} />
          ))}
        </Stack>
      )}
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
        <TextField select label="Status" value={status} onChange={(e) => setStatus(e.target.value as Status | "")} sx={{ minWidth: 220 }}>
          <MenuItem value="">Any status</MenuItem>
          {QUEUE_STATUSES.map((s) => (
            <MenuItem key={s} value={s}>
              {words(s)}
            </MenuItem>
          ))}
        </TextField>
        <TextField select label="Assigned to" value={assigned} onChange={(e) => setAssigned(e.target.value)} sx={{ minWidth: 180 }}>
          <MenuItem value="">Anyone</MenuItem>
          <MenuItem value="me">Me</MenuItem>
          <MenuItem value="none">Nobody</MenuItem>
        </TextField>
        <TextField select label="Sort" value={sort} onChange={(e) => setSort(e.target.value as Sort)} sx={{ minWidth: 200 }}>
          <MenuItem value="-submitted_at">Newest first</MenuItem>
          <MenuItem value="submitted_at">Oldest first</MenuItem>
          <MenuItem value="-amount">Largest first</MenuItem>
          <MenuItem value="amount">Smallest first</MenuItem>
        </TextField>
        <TextField label="Search name, email or reference" value={q} onChange={(e) => setQ(e.target.value)} sx={{ flexGrow: 1 }} />
      </Stack>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
        <TextField select label="Engine outcome" value={outcome} onChange={(e) => setOutcome(e.target.value as Outcome | "")} sx={{ minWidth: 220 }}>
          <MenuItem value="">Any outcome</MenuItem>
          {OUTCOMES.map((o) => (
            <MenuItem key={o} value={o}>
              {words(o)}
            </MenuItem>
          ))}
        </TextField>
        <TextField label="Amount from (£)" value={minAmount} onChange={(e) => setMinAmount(e.target.value)} slotProps={{ htmlInput: { inputMode: "decimal" } }} />
        <TextField label="Amount up to (£)" value={maxAmount} onChange={(e) => setMaxAmount(e.target.value)} slotProps={{ htmlInput: { inputMode: "decimal" } }} />
      </Stack>
      {error && <Alert severity="error">{error}</Alert>}
      {!items && !error && <CircularProgress aria-label="Loading" />}
      {items && (
        <TableContainer>
          <Table size="small" aria-label="Applications">
            <TableHead>
              <TableRow>
                <TableCell>Reference</TableCell>
                <TableCell>Applicant</TableCell>
                <TableCell align="right">Amount</TableCell>
                <TableCell>Status</TableCell>
                <TableCell>Engine</TableCell>
                <TableCell>Flags</TableCell>
                <TableCell>Assigned to</TableCell>
                <TableCell>Submitted</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {items.length === 0 && (
                <TableRow>
                  <TableCell colSpan={8}>No applications match these filters.</TableCell>
                </TableRow>
              )}
              {items.map((item) => (
                <TableRow key={item.id} hover>
                  <TableCell>
                    <Link href={`/applications/${item.id}`}>{item.reference}</Link>
                  </TableCell>
                  <TableCell>{item.applicant_name ?? "—"}</TableCell>
                  <TableCell align="right">
                    {pounds(item.amount_pence)}
                    {item.term_months ? ` / ${item.term_months}m` : ""}
                  </TableCell>
                  <TableCell>{words(item.status)}</TableCell>
                  <TableCell>{item.outcome ? words(item.outcome) : "—"}</TableCell>
                  <TableCell>{item.risk_flags.map(words).join(", ") || "—"}</TableCell>
                  <TableCell>{item.assigned_to?.username ?? "—"}</TableCell>
                  <TableCell>{when(item.submitted_at)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </Stack>
  );
}
