"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import CircularProgress from "@mui/material/CircularProgress";
import MenuItem from "@mui/material/MenuItem";
import Stack from "@mui/material/Stack";
import Table from "@mui/material/Table";
import TableBody from "@mui/material/TableBody";
import TableCell from "@mui/material/TableCell";
import TableHead from "@mui/material/TableHead";
import TableRow from "@mui/material/TableRow";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { useEffect, useState } from "react";

import type { Schemas } from "@ff/api-client";

import FigureTable from "@/components/FigureTable";
import Section from "@/components/Section";
import VegaChart from "@/components/VegaChart";
import { ApiProblem, api, unwrap, when } from "@/lib/api";
import { describeRows, type Spec } from "@/lib/charts";

function PipelineRuns() {
  const [runs, setRuns] = useState<Schemas["reports_schemas_RunView"][] | null>(null);
  useEffect(() => {
    api
      .GET("/v1/staff/reports/runs", { params: { query: { limit: 10 } } })
      .then((r) => setRuns(unwrap(r).items))
      .catch(() => setRuns([]));
  }, []);
  return (
    <Section title="Data platform runs">
      {!runs && <CircularProgress aria-label="Loading runs" />}
      {runs?.length === 0 && <Typography>No runs recorded yet.</Typography>}
      {runs && runs.length > 0 && (
        <Table size="small" aria-label="Data platform runs">
          <TableHead>
            <TableRow>
              <TableCell>Day</TableCell>
              <TableCell>Status</TableCell>
              <TableCell>Trigger</TableCell>
              <TableCell>Started</TableCell>
              <TableCell align="right">Checks (failed)</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {runs.map((r) => (
              <TableRow key={r.run_id}>
                <TableCell>{r.run_date}</TableCell>
                <TableCell>{r.status}</TableCell>
                <TableCell>{r.trigger}</TableCell>
                <TableCell>{when(r.started_at)}</TableCell>
                <TableCell align="right">
                  {r.checks_run} ({r.failed_checks.length})
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Section>
  );
}

export default function Reports() {
  const [index, setIndex] = useState<Schemas["ReportIndex"] | null>(null);
  const [name, setName] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [asOf, setAsOf] = useState("");
  const [report, setReport] = useState<Schemas["ReportView"] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api
      .GET("/v1/staff/reports")
      .then((r) => {
        const value = unwrap(r);
        setIndex(value);
        setName((current) => current || value.items[0]?.name || "");
      })
      .catch(() => setError("The reports could not be listed."));
  }, []);

  const info = index?.items.find((i) => i.name === name);
  useEffect(() => {
    if (!name || !index?.run_id) return;
    const query = info?.takes === "as_of" ? { as_of: asOf || undefined } : { from: from || undefined, to: to || undefined };
    api
      .GET("/v1/staff/reports/{report}", { params: { path: { report: name }, query } })
      .then((r) => {
        setReport(unwrap(r));
        setError(null);
      })
      .catch((e: unknown) => {
        setReport(null);
        setError(e instanceof ApiProblem ? (e.problem.detail ?? e.problem.title) : "The report could not be loaded.");
      });
  }, [name, info?.takes, from, to, asOf, index?.run_id]);

  const table = report ? `/api/v1/staff/reports/${encodeURIComponent(report.name)}/table?format=csv` : "";
  return (
    <Stack spacing={2}>
      <Typography variant="h4" component="h1">
        Reports
      </Typography>
      {index && !index.run_id && <Alert severity="info">The data platform has not published a run yet, so there are no figures to show.</Alert>}
      {index?.run_id && (
        <Typography>
          Figures from the run of {index.run_date}, published {when(index.published_at)}.
        </Typography>
      )}
      <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
        <TextField select label="Report" value={index ? name : ""} onChange={(e) => setName(e.target.value)} sx={{ minWidth: 260 }} disabled={!index}>
          {(index?.items ?? []).map((i) => (
            <MenuItem key={i.name} value={i.name}>
              {i.title}
            </MenuItem>
          ))}
        </TextField>
        {info?.takes === "as_of" ? (
          <TextField type="date" label="As of" value={asOf} onChange={(e) => setAsOf(e.target.value)} slotProps={{ inputLabel: { shrink: true } }} />
        ) : (
          <>
            <TextField type="date" label="From" value={from} onChange={(e) => setFrom(e.target.value)} slotProps={{ inputLabel: { shrink: true } }} />
            <TextField type="date" label="To" value={to} onChange={(e) => setTo(e.target.value)} slotProps={{ inputLabel: { shrink: true } }} />
          </>
        )}
      </Stack>
      {error && <Alert severity="error">{error}</Alert>}
      {report && (
        <Section title={report.title}>
          <Typography variant="body2" gutterBottom>
            {report.as_of ? `As of ${report.as_of}` : `${report.from ?? ""} to ${report.to ?? ""}`}
            {report.suppressed > 0 ? `; ${report.suppressed} groups of fewer than five customers withheld` : ""}.
          </Typography>
          <VegaChart spec={report.chart as Spec} description={describeRows(report.title, report.table.rows.length)} />
          <Button component="a" href={table} sx={{ my: 1 }}>
            Download the table (CSV)
          </Button>
          <FigureTable label={report.title} columns={report.table.columns} rows={report.table.rows} />
        </Section>
      )}
      <PipelineRuns />
    </Stack>
  );
}
