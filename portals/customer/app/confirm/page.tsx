import Container from "@mui/material/Container";
import Typography from "@mui/material/Typography";
import { Suspense } from "react";

import ConfirmForm from "@/components/ConfirmForm";

export default function ConfirmPage() {
  return (
    <Container maxWidth="xs" sx={{ py: 3 }}>
      <Typography variant="h4" component="h1" gutterBottom>
        Confirm your email address
      </Typography>
      <Typography sx={{ mb: 2 }}>We have emailed you a code. Enter it here to finish creating your account.</Typography>
      <Suspense>
        <ConfirmForm />
      </Suspense>
    </Container>
  );
}
