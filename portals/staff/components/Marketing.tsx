"use client";

import Alert from "@mui/material/Alert";
import CircularProgress from "@mui/material/CircularProgress";
import MenuItem from "@mui/material/MenuItem";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useEffect, useState } from "react";

import type { Schemas } from "@ff/api-client";

import FigureTable from "@/components/FigureTable";
import Section from "@/components/Section";
import VegaChart from "@/components/VegaChart";
import { ApiProblem, api, unwrap } from "@/lib/api";
import { describeRows, type Spec } from "@/lib/charts";
import { isoDay } from "@/lib/dates";

type ReportName = "sources" | "trend" | "devices" | "landing_pages" | "paths";
const REPORTS: { name: ReportName; label: string }[] = [
  { name: "sources", label: "Traffic sources" },
  { name: "trend", label: "Visits by day" },
  { name: "devices", label: "Devices" },
  { name: "landing_pages", label: "Landing pages" },
  { name: "paths", label: "Page paths" },
];

export default function Marketing() {
  const [name, setName] = useState<ReportName>("sources");
  const [from, setFrom] = useState(isoDay(-29));
  const [to, setTo] = useState(isoDay(-1));
  const [view, setView] = useState<Schemas["MarketingReportView"] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .GET("/v1/staff/marketing/{report}", { params: { path: { report: name }, query: { from, to } } })
      .then((r) => {
        setView(unwrap(r));
        setError(null);
      })
      .catch((e: unknown) => {
        setView(null);
        setError(e instanceof ApiProblem ? (e.problem.detail ?? e.problem.title) : "Google Analytics could not be reached. Try again in a moment.");
      });
  }, [name, from, to]);
  const report = view?.report;
  return (
    <Stack spacing={2}>
      <Typography variant="h4" component="h1">
        Marketing (Google Analytics)
      </Typography>
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
        <TextField select label="Report" value={name} onChange={(e) => setName(e.target.value as ReportName)} sx={{ minWidth: 220 }}>
          {REPORTS.map((r) => (
            <MenuItem key={r.name} value={r.name}>
              {r.label}
            </MenuItem>
          ))}
        </TextField>
        <TextField type="date" label="From" value={from} onChange={(e) => setFrom(e.target.value)} slotProps={{ inputLabel: { shrink: true } }} />
        <TextField type="date" label="To" value={to} onChange={(e) => setTo(e.target.value)} slotProps={{ inputLabel: { shrink: true } }} />
      </Stack>
      {error && <Alert severity="error">{error}</Alert>}
      {!view && !error && <CircularProgress aria-label="Loading the report" />}
      {view && report && (
        <Section title={report.title}>
          <Typography variant="body2" gutterBottom>
            {report.period_from} to {report.period_to}
            {view.cached ? " (from the cache)" : ""}
            {view.quota?.low ? "; the Google Analytics quota is running low" : ""}.
          </Typography>
          <VegaChart spec={view.vega_lite as Spec} description={describeRows(report.title, report.table.rows.length)} />
          <FigureTable label={report.title} columns={report.table.columns} rows={report.table.rows} />
        </Section>
      )}
    </Stack>
  );
}
