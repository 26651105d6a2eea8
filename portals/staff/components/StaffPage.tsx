import Container from "@mui/material/Container";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";

import { signedIn } from "@/lib/session";

/** A signed-in page: visitors without a session are sent to sign in and brought back. */
export default async function StaffPage({ path, children }: { path: string; children: ReactNode }) {
  if (!(await signedIn())) redirect(`/sign-in?next=${encodeURIComponent(path)}`);
  return (
    <Container maxWidth="lg" sx={{ py: 3 }}>
      {children}
    </Container>
  );
}
