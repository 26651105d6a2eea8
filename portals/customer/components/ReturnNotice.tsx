"use client";

import Alert from "@mui/material/Alert";
import Button from "@mui/material/Button";
import CircularProgress from "@mui/material/CircularProgress";
import Stack from "@mui/material/Stack";
import Typography from "@mui/material/Typography";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useState } from "react";

import { api } from "@/lib/api";

/** Where the payment provider's hosted pages and the bank journey send the customer back
 * (`checked`: whether the bank's return reached the API, done on the server). */
export default function ReturnNotice({ from, checked = true }: { from: "payments" | "open-banking"; checked?: boolean }) {
  const params = useSearchParams();
  const [target, setTarget] = useState<string | null>(null);
  const [unread, setUnread] = useState(false);
  const failed = unread || !checked;

  useEffect(() => {
    api
      .GET("/v1/applications", { params: { query: {} } })
      .then((mine) => {
        const latest = mine.data?.items.find((a) => a.status !== "draft");
        setTarget(latest ? `/applications/${latest.id}` : "/loans");
      })
      .catch(() => setUnread(true));
  }, []);

  const cancelled = ["cancel", "cancelled", "rejected"].includes((params.get("outcome") ?? params.get("status") ?? "").toLowerCase());
  return (
    <Stack spacing={2}>
      <Typography variant="h4" component="h1">
        {from === "payments" ? "Thank you" : "Welcome back from your bank"}
      </Typography>
      {failed && <Alert severity="warning">We could not check this yet. It may take a few minutes to show.</Alert>}
      <Typography>
        {cancelled
          ? "You stopped before the end. You can try again whenever you are ready."
          : from === "payments"
            ? "We have your payment details. It can take a few minutes for the change to show."
            : "We are reading the data your bank shared. It can take a few minutes."}
      </Typography>
      {target ? (
        <Stack direction={{ xs: "column", sm: "row" }} spacing={2}>
          <Button variant="contained" component={Link} href={target}>
            Back to your application
          </Button>
          <Button component={Link} href="/loans">
            See your loans
          </Button>
        </Stack>
      ) : (
        !failed && <CircularProgress aria-label="Loading" />
      )}
    </Stack>
  );
}
