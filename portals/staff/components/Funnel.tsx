"use client";

import Alert from "@mui/material/Alert";
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
import { useEffect, useMemo, useState } from "react";

import type { Schemas } from "@ff/api-client";

import Section from "@/components/Section";
import VegaChart from "@/components/VegaChart";
import { api, unwrap, when, words } from "@/lib/api";
import { funnelSpec } from "@/lib/charts";
import { counted, isoDay, percent } from "@/lib/dates";

type Breakdown = "none" | "source" | "device";

function FunnelSteps({ steps }: { steps: Schemas["FunnelStep"][] }) {
  return (
    <TableContainer tabIndex={0} aria-label="Funnel steps (scrollable)">
      <Table size="small" aria-label="Funnel steps">
        <TableHead>
          <TableRow>
            <TableCell>Step</TableCell>
            <TableCell align="right">Sessions</TableCell>
            <TableCell align="right">From start</TableCell>
            <TableCell align="right">Drop-off</TableCell>
            <TableCell align="right">Median time (s)</TableCell>
            <TableCell>Top field errors</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {steps.map((s) => (
            <TableRow key={s.step}>
              <TableCell>{words(s.step)}</TableCell>
              <TableCell align="right">{s.sessions}</TableCell>
              <TableCell align="right">{percent(s.conversion_from_start)}</TableCell>
              <TableCell align="right">
                {s.drop_off} ({percent(s.drop_off_rate)})
              </TableCell>
              <TableCell align="right">{s.median_seconds_in_step === null ? "—" : Math.round(s.median_seconds_in_step)}</TableCell>
              <TableCell>{s.top_field_errors.map((e) => `${e.field} (${e.errors})`).join(", ") || "—"}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

function Duplicates({ from, to }: { from: string; to: string }) {
  const [view, setView] = useState<Schemas["DuplicatesView"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .GET("/v1/staff/analytics/duplicates", { params: { query: { from, to } } })
      .then((r) => {
        setView(unwrap(r));
        setError(null);
      })
      .catch(() => setError("The duplicates could not be loaded."));
  }, [from, to]);
  return (
    <Section title="Duplicate applications">
      {error && <Alert severity="error">{error}</Alert>}
      {!view && !error && <CircularProgress aria-label="Loading duplicates" />}
      {view && (
        <>
          <Typography gutterBottom>
            {counted(view.clusters.length, "cluster")}, {counted(view.applications, "application")} sharing an identity signal
            within {view.window_days} days.
          </Typography>
          {view.clusters.length > 0 && (
            <Table size="small" aria-label="Duplicate clusters">
              <TableHead>
                <TableRow>
                  <TableCell>Applications</TableCell>
                  <TableCell>Shared signals</TableCell>
                  <TableCell>First seen</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {view.clusters.map((c) => (
                  <TableRow key={c.cluster_id}>
                    <TableCell>{c.applications.length}</TableCell>
                    <TableCell>{c.signals.map((s) => `${words(s.kind)} ${s.hash_prefix}…`).join(", ")}</TableCell>
                    <TableCell>{when(c.applications[0]?.first_seen)}</TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
        </>
      )}
    </Section>
  );
}

export default function Funnel() {
  const [from, setFrom] = useState(isoDay(-29));
  const [to, setTo] = useState(isoDay());
  const [breakdown, setBreakdown] = useState<Breakdown>("none");
  const [view, setView] = useState<Schemas["FunnelView"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .GET("/v1/staff/analytics/funnel", { params: { query: { form: "application", from, to, breakdown } } })
      .then((r) => {
        setView(unwrap(r));
        setError(null);
      })
      .catch(() => setError("The funnel could not be loaded. Check the dates and try again."));
  }, [from, to, breakdown]);
  const spec = useMemo(() => (view ? funnelSpec(view.series) : null), [view]);
  return (
    <Stack spacing={2}>
      <Typography variant="h4" component="h1">
        Application funnel
      </Typography>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
        <TextField type="date" label="From" value={from} onChange={(e) => setFrom(e.target.value)} slotProps={{ inputLabel: { shrink: true } }} />
        <TextField type="date" label="To" value={to} onChange={(e) => setTo(e.target.value)} slotProps={{ inputLabel: { shrink: true } }} />
        <TextField select label="Break down by" value={breakdown} onChange={(e) => setBreakdown(e.target.value as Breakdown)} sx={{ minWidth: 180 }}>
          <MenuItem value="none">Nothing</MenuItem>
          <MenuItem value="source">Traffic source</MenuItem>
          <MenuItem value="device">Device</MenuItem>
        </TextField>
      </Stack>
      {error && <Alert severity="error">{error}</Alert>}
      {!view && !error && <CircularProgress aria-label="Loading the funnel" />}
      {view && spec && (
        <Section title="Sessions by step">
          <Typography gutterBottom data-testid="funnel-summary">
            {counted(view.sessions, "session")} started, {view.submitted} submitted ({percent(view.overall_conversion)}), {view.from} to {view.to}.
          </Typography>
          <VegaChart spec={spec} description={`Sessions reaching each step of the application form, ${view.from} to ${view.to}`} />
          <FunnelSteps steps={view.steps} />
        </Section>
      )}
      <Duplicates from={from} to={to} />
    </Stack>
  );
}
