"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import List from "@mui/material/List";
import ListItem from "@mui/material/ListItem";
import MenuItem from "@mui/material/MenuItem";
import Stack from "@mui/material/Stack";
import TextField from "@mui/material/TextField";
import Typography from "@mui/material/Typography";
import { type FormEvent, useCallback, useEffect, useState } from "react";

import { asProblem, type Schemas } from "@ff/api-client";

import { ApiProblem, api, unwrap } from "@/lib/api";
import { uploadTo } from "@/lib/upload";
import { day } from "@/lib/words";

const KINDS: [Schemas["DocumentKind"], string][] = [
  ["payslip", "Payslip"],
  ["bank_statement", "Bank statement"],
  ["proof_of_identity", "Proof of identity (passport or driving licence)"],
  ["proof_of_address", "Proof of address"],
  ["benefits_letter", "Benefits letter"],
  ["other", "Something else"],
];
const KIND_WORDS = Object.fromEntries(KINDS);
const MAX_BYTES = 10 * 1024 * 1024;

/** Upload what the underwriter asked for, then tell them it is there. */
export default function DocumentUpload({ application, onDone }: { application: Schemas["ApplicationView"]; onDone: () => void }) {
  const [documents, setDocuments] = useState<Schemas["CustomerDocumentView"][]>([]);
  const [kind, setKind] = useState<Schemas["DocumentKind"]>("payslip");
  const [file, setFile] = useState<File | null>(null);
  const [picker, setPicker] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const request = application.information_request ?? null;

  const load = useCallback(
    () =>
      api.GET("/v1/documents", { params: { query: { application_id: application.id } } }).then((found) => {
        if (found.response.ok && found.data) setDocuments(found.data);
      }),
    [application.id],
  );

  useEffect(() => {
    load().catch(() => undefined);
  }, [load]);

  async function upload(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (!file) return setError("Choose a file to upload");
    if (file.size > MAX_BYTES) return setError("The file must be 10 MB or smaller");
    setBusy(true);
    try {
      const created = unwrap(
        await api.POST("/v1/documents", {
          body: { application_id: application.id, kind, content_type: file.type || "application/octet-stream", size_bytes: file.size, upload_method: "post" },
        }),
      );
      await uploadTo(created.upload, file);
      unwrap(await api.POST("/v1/documents/{document_id}/confirm", { params: { path: { document_id: created.id } } }));
      setFile(null);
      setPicker((n) => n + 1);
      await load();
    } catch (caught) {
      setError(caught instanceof ApiProblem ? caught.message : "We could not upload that file. Please try again.");
    } finally {
      setBusy(false);
    }
  }

  async function done() {
    setBusy(true);
    const result = await api.POST("/v1/applications/{application_id}/information", {
      params: { path: { application_id: application.id } },
      body: { message: `Uploaded ${documents.length} document(s).` },
    });
    setBusy(false);
    if (result.response.ok) onDone();
    else setError(asProblem(result.error)?.detail ?? "We could not tell the underwriter. Please try again.");
  }

  return (
    <Stack component="section" aria-labelledby="docs-heading" spacing={2}>
      <Typography id="docs-heading" variant="h5" component="h2">
        Send us documents
      </Typography>
      {request && <Alert severity="info">What we need: {request.needed}</Alert>}
      {documents.length > 0 && (
        <List dense aria-label="Documents you have sent">
          {documents.map((d) => (
            <ListItem key={d.id} disableGutters>
              {KIND_WORDS[d.kind] ?? d.kind}, sent {day(d.created_at)}: {d.status === "available" ? "received" : d.status.replace(/_/g, " ")}
            </ListItem>
          ))}
        </List>
      )}
      <Stack component="form" spacing={2} onSubmit={upload} noValidate>
        <TextField select label="What is it?" value={kind} onChange={(e) => setKind(e.target.value as Schemas["DocumentKind"])}>
          {KINDS.map(([value, label]) => (
            <MenuItem key={value} value={value}>
              {label}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          key={picker}
          type="file"
          label="File (PDF or photo, up to 10 MB)"
          slotProps={{ inputLabel: { shrink: true }, htmlInput: { accept: "application/pdf,image/jpeg,image/png" } }}
          onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)}
        />
        {error && <Alert severity="error">{error}</Alert>}
        <Button type="submit" variant="outlined" disabled={busy}>
          Upload this document
        </Button>
      </Stack>
      {request && !request.responded_at && documents.length > 0 && (
        <Button variant="contained" onClick={done} disabled={busy}>
          I have sent everything
        </Button>
      )}
    </Stack>
  );
}
