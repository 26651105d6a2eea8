import Container from "@mui/material/Container";
import { redirect } from "next/navigation";

import LoanList from "@/components/LoanList";
import { signedIn } from "@/lib/session";

export default async function LoansPage() {
  if (!(await signedIn())) redirect("/sign-in?next=/loans");
  return (
    <Container maxWidth="sm" sx={{ py: 3 }}>
      <LoanList />
    </Container>
  );
}
