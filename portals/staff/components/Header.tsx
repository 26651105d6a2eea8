"use client";

import AppBar from "@mui/material/AppBar";
import Button from "@mui/material/Button";
import Toolbar from "@mui/material/Toolbar";
import Typography from "@mui/material/Typography";
import Link from "next/link";
import { useRouter } from "next/navigation";

export default function Header({ signedIn }: { signedIn: boolean }) {
  const router = useRouter();
  async function signOut() {
    await fetch("/api/auth/sign-out", { method: "POST" });
    router.push("/sign-in");
    router.refresh();
  }
  return (
    <AppBar position="static" component="header">
      <Toolbar sx={{ gap: 1 }}>
        <Typography component={Link} href="/" variant="h6" sx={{ color: "inherit", textDecoration: "none", flexGrow: 1 }}>
          Fair Finance staff
        </Typography>
        <nav aria-label="Main">
          {signedIn ? (
            <Button color="inherit" onClick={signOut}>
              Sign out
            </Button>
          ) : (
            <Button color="inherit" component={Link} href="/sign-in">
              Sign in
            </Button>
          )}
        </nav>
      </Toolbar>
    </AppBar>
  );
}
