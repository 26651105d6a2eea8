import Container from "@mui/material/Container";
import { redirect } from "next/navigation";

import ApplyFlow from "@/components/ApplyFlow";
import { signedIn } from "@/lib/session";

export default async function ApplyPage() {
  if (!(await signedIn())) redirect("/sign-in?next=/apply");
  return (
    <Container maxWidth="sm" sx={{ py: 3 }}>
      <ApplyFlow />
    </Container>
  );
}
