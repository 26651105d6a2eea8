import Container from "@mui/material/Container";
import { redirect } from "next/navigation";

import ProfileForm from "@/components/ProfileForm";
import { signedIn } from "@/lib/session";

export default async function ProfilePage() {
  if (!(await signedIn())) redirect("/sign-in?next=/profile");
  return (
    <Container maxWidth="sm" sx={{ py: 3 }}>
      <ProfileForm />
    </Container>
  );
}
