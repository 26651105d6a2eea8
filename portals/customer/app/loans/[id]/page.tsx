import Container from "@mui/material/Container";
import { redirect } from "next/navigation";

import LoanDetail from "@/components/LoanDetail";
import { signedIn } from "@/lib/session";

export default async function LoanPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!(await signedIn())) redirect(`/sign-in?next=/loans/${encodeURIComponent(id)}`);
  return (
    <Container maxWidth="sm" sx={{ py: 3 }}>
      <LoanDetail id={id} />
    </Container>
  );
}
