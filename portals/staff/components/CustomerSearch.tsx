"use client";

import Alert from "@mui/material/Alert";
import CircularProgress from "@mui/material/CircularProgress";
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

import { api, unwrap } from "@/lib/api";

export default function CustomerSearch() {
  const [q, setQ] = useState("");
  const [items, setItems] = useState<Schemas["CustomerSummary"][] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const timer = setTimeout(() => {
      api
        .GET("/v1/staff/customers", { params: { query: { q: q.trim() || undefined, limit: 50 } } })
        .then((r) => {
          setItems(unwrap(r).items);
          setError(null);
        })
        .catch(() => setError("The search failed. Try again in a moment."));
    }, 250);
    return () => clearTimeout(timer);
  }, [q]);
  return (
    <Stack spacing={2}>
      <Typography variant="h4" component="h1">
        Customers
      </Typography>
      <TextField label="Search name, e-mail, phone, postcode or reference" value={q} onChange={(e) => setQ(e.target.value)} />
      {error && <Alert severity="error">{error}</Alert>}
      {!items && !error && <CircularProgress aria-label="Loading" />}
      {items && (
        <TableContainer>
          <Table size="small" aria-label="Customers">
            <TableHead>
              <TableRow>
                <TableCell>Name</TableCell>
                <TableCell>E-mail</TableCell>
                <TableCell>Mobile</TableCell>
                <TableCell>Postcode</TableCell>
                <TableCell>Applications</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {items.length === 0 && (
                <TableRow>
                  <TableCell colSpan={5}>No customers match.</TableCell>
                </TableRow>
              )}
              {items.map((c) => (
                <TableRow key={c.id}>
                  <TableCell>
                    <Link href={`/customers/${c.id}`}>{c.name ?? c.email ?? c.id}</Link>
                    {c.erased_at ? " (erased)" : ""}
                  </TableCell>
                  <TableCell>{c.email ?? "—"}</TableCell>
                  <TableCell>{c.mobile ?? "—"}</TableCell>
                  <TableCell>{c.postcode ?? "—"}</TableCell>
                  <TableCell>{c.references.join(", ") || "—"}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </Stack>
  );
}
