import Container from "@mui/material/Container";
import { redirect } from "next/navigation";

import ApplicationDetail from "@/components/ApplicationDetail";
import { signedIn } from "@/lib/session";

export default async function DetailPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!(await signedIn())) redirect(`/sign-in?next=/applications/${encodeURIComponent(id)}`);
  return (
    <Container maxWidth="lg" sx={{ py: 3 }}>
      <ApplicationDetail id={id} />
    </Container>
  );
}
