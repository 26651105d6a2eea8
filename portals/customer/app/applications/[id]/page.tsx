import Container from "@mui/material/Container";
import { redirect } from "next/navigation";

import ApplicationStatus from "@/components/ApplicationStatus";
import { signedIn } from "@/lib/session";

export default async function ApplicationPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!(await signedIn())) redirect(`/sign-in?next=/applications/${encodeURIComponent(id)}`);
  return (
    <Container maxWidth="sm" sx={{ py: 3 }}>
      <ApplicationStatus id={id} />
    </Container>
  );
}
