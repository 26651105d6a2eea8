import Container from "@mui/material/Container";
import { redirect } from "next/navigation";

import ReviewQueue from "@/components/ReviewQueue";
import { signedIn } from "@/lib/session";

export default async function QueuePage() {
  if (!(await signedIn())) redirect("/sign-in");
  return (
    <Container maxWidth="lg" sx={{ py: 3 }}>
      <ReviewQueue />
    </Container>
  );
}
