import Container from "@mui/material/Container";
import Typography from "@mui/material/Typography";

import QuoteCalculator from "@/components/QuoteCalculator";

export default function Home() {
  return (
    <Container maxWidth="sm" sx={{ py: 3 }}>
      <Typography variant="h4" component="h1" gutterBottom>
        Borrow fairly
      </Typography>
      <Typography sx={{ mb: 3 }}>
        See what a loan would cost you each month before you apply. Getting a quote does not
        affect your credit score.
      </Typography>
      <QuoteCalculator />
    </Container>
  );
}
