import Container from "@mui/material/Container";
import { Suspense } from "react";

import ReturnNotice from "@/components/ReturnNotice";
import { portalConfig } from "@/lib/session";

/** The bank journey's return: the reference is passed on to the API's callback here, on the
 * server, so the consent is checked at once whatever follows the redirect. */
export default async function Return({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const reference = typeof params.reference === "string" ? params.reference : null;
  let checked = true;
  if (reference) {
    const query = new URLSearchParams({ reference });
    if (typeof params.status === "string") query.set("status", params.status);
    const answer = await fetch(`${portalConfig().apiUrl}/v1/open-banking/callback?${query}`, {
      cache: "no-store",
      signal: AbortSignal.timeout(10_000),
    }).catch(() => null);
    checked = answer?.ok ?? false;
  }
  return (
    <Container maxWidth="sm" sx={{ py: 3 }}>
      <Suspense>
        <ReturnNotice from="open-banking" checked={checked} />
      </Suspense>
    </Container>
  );
}
