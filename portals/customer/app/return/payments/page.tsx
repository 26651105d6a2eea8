import Container from "@mui/material/Container";
import { Suspense } from "react";

import ReturnNotice from "@/components/ReturnNotice";

export default function Return() {
  return (
    <Container maxWidth="sm" sx={{ py: 3 }}>
      <Suspense>
        <ReturnNotice from="payments" />
      </Suspense>
    </Container>
  );
}
