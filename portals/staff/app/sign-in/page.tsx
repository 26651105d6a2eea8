import Container from "@mui/material/Container";
import Typography from "@mui/material/Typography";
import { Suspense } from "react";

import SignInForm from "@/components/SignInForm";

export default function SignInPage() {
  return (
    <Container maxWidth="xs" sx={{ py: 3 }}>
      <Typography variant="h4" component="h1" gutterBottom>
        Sign in
      </Typography>
      <Suspense>
        <SignInForm />
      </Suspense>
    </Container>
  );
}
