"use client";

import AppBar from "@mui/material/AppBar";
import Box from "@mui/material/Box";
import Button from "@mui/material/Button";
import Toolbar from "@mui/material/Toolbar";
import Typography from "@mui/material/Typography";
import Link from "next/link";
import { useRouter } from "next/navigation";

export default function Header({ signedIn }: { signedIn: boolean }) {
  const router = useRouter();
  async function signOut() {
    await fetch("/api/auth/sign-out", { method: "POST" });
    router.push("/");
    router.refresh();
  }
  return (
    <AppBar position="static" component="header">
      <Toolbar sx={{ flexWrap: "wrap", gap: 1 }}>
        <Typography component={Link} href="/" variant="h6" sx={{ color: "inherit", textDecoration: "none", flexGrow: 1 }}>
          Fair Finance
        </Typography>
        <Box component="nav" aria-label="Main" sx={{ display: "flex", gap: 1, flexWrap: "wrap" }}>
          {signedIn ? (
            <>
              <Button color="inherit" component={Link} href="/apply">
                Apply
              </Button>
              <Button color="inherit" component={Link} href="/loans">
                Your loans
              </Button>
              <Button color="inherit" component={Link} href="/profile">
                Profile
              </Button>
              <Button color="inherit" onClick={signOut}>
                Sign out
              </Button>
            </>
          ) : (
            <>
              <Button color="inherit" component={Link} href="/register">
                Register
              </Button>
              <Button color="inherit" component={Link} href="/sign-in">
                Sign in
              </Button>
            </>
          )}
        </Box>
      </Toolbar>
    </AppBar>
  );
}
