import Container from "@mui/material/Container";
import Typography from "@mui/material/Typography";

import RegisterForm from "@/components/RegisterForm";

export default function RegisterPage() {
  return (
    <Container maxWidth="xs" sx={{ py: 3 }}>
      <Typography variant="h4" component="h1" gutterBottom>
        Create an account
      </Typography>
      <Typography sx={{ mb: 2 }}>You need an account to apply. We use your email address to keep you up to date.</Typography>
      <RegisterForm />
    </Container>
  );
}
