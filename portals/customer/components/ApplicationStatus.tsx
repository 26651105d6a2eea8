"use client";

import Alert from "@mui/material/Alert";
import Card from "@mui/material/Card";
import CardContent from "@mui/material/CardContent";
import CircularProgress from "@mui/material/CircularProgress";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import { useCallback, useEffect, useState } from "react";

import type { Schemas } from "@ff/api-client";

import DirectDebit from "@/components/DirectDebit";
import DocumentUpload from "@/components/DocumentUpload";
import OfferActions from "@/components/OfferActions";
import OpenBanking from "@/components/OpenBanking";
import { api, pounds, unwrap } from "@/lib/api";
import { headline, reasonText } from "@/lib/decision";

export default function ApplicationStatus({ id }: { id: string }) {
  const [application, setApplication] = useState<Schemas["ApplicationView"] | null>(null);
  const [error, setError] = useState(false);

  const load = useCallback(() => {
    api
      .GET("/v1/applications/{application_id}", { params: { path: { application_id: id } } })
      .then((r) => setApplication(unwrap(r)))
      .catch(() => setError(true));
  }, [id]);
  useEffect(load, [load]);

  if (error) return <Alert severity="error">We could not find that application.</Alert>;
  if (!application) return <CircularProgress aria-label="Loading" />;
  const decision = application.decision;
  const words = headline(application.status, decision?.outcome);
  const offer = application.offer ?? null;
  return (
    <Stack spacing={2}>
      <Typography variant="h4" component="h1">
        {words.title}
      </Typography>
      <Typography>Reference {application.reference}</Typography>
      <Alert severity={application.status === "declined" ? "warning" : "info"}>{words.body}</Alert>
      {decision && decision.reasons.length > 0 && (
        <section aria-labelledby="reasons-heading">
          <Typography id="reasons-heading" variant="h5" component="h2" gutterBottom>
            What we looked at
          </Typography>
          <ul>
            {decision.reasons.map((code) => (
              <li key={code}>
                <Typography>{reasonText(code)}</Typography>
              </li>
            ))}
          </ul>
        </section>
      )}
      {offer && (
        <Card component="section" aria-labelledby="offer-heading">
          <CardContent>
            <Typography id="offer-heading" variant="h5" component="h2" gutterBottom>
              Your offer
            </Typography>
            <Typography>
              {pounds(offer.amount_pence)} over {offer.term_months} months: {pounds(offer.monthly_instalment_pence)} a month,{" "}
              {pounds(offer.total_repayable_pence)} in total (APR {offer.apr_percent}%).
            </Typography>
            {application.status === "offered" && (
              <OfferActions application={application} onChange={(reload, app) => (reload || !app ? load() : setApplication(app))} />
            )}
          </CardContent>
        </Card>
      )}
      {["accepted", "active", "paid_out"].includes(application.status) && <DirectDebit applicationId={application.id} />}
      {["in_review", "awaiting_second_approval", "information_requested"].includes(application.status) && (
        <OpenBanking application={application} />
      )}
      {application.status === "information_requested" && <DocumentUpload application={application} onDone={load} />}
    </Stack>
  );
}
