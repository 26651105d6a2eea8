"use client";

import AppBar from "@mui/material/AppBar";
import Button from "@mui/material/Button";
import Stack from "@mui/material/Stack";
import Toolbar from "@mui/material/Toolbar";
import Typography from "@mui/material/Typography";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";

import { useMe } from "@/lib/me";
import { navFor } from "@/lib/permissions";

function current(pathname: string, href: string): boolean {
  if (href === "/") return pathname === "/" || pathname.startsWith("/applications");
  return pathname === href || pathname.startsWith(`${href}/`);
}

export default function Header({ signedIn }: { signedIn: boolean }) {
  const router = useRouter();
  const pathname = usePathname();
  const me = useMe();
  async function signOut() {
    await fetch("/api/auth/sign-out", { method: "POST" });
    router.push("/sign-in");
    router.refresh();
  }
  const items = signedIn && me ? navFor(me.permissions) : [];
  return (
    <AppBar position="static" component="header">
      <Toolbar sx={{ gap: 1, flexWrap: "wrap", py: { xs: 1, md: 0 } }}>
        <Typography component={Link} href="/" variant="h6" sx={{ color: "inherit", textDecoration: "none", flexGrow: 1 }}>
          Fair Finance staff
        </Typography>
        <Stack component="nav" aria-label="Main" direction="row" useFlexGap sx={{ flexWrap: "wrap", gap: 0.5 }}>
          {items.map((item) => (
            <Button
              key={item.href}
              color="inherit"
              component={Link}
              href={item.href}
              aria-current={current(pathname, item.href) ? "page" : undefined}
              sx={{ textDecoration: current(pathname, item.href) ? "underline" : "none", textUnderlineOffset: 6 }}
            >
              {item.label}
            </Button>
          ))}
          {signedIn ? (
            <Button color="inherit" onClick={signOut}>
              Sign out
            </Button>
          ) : (
            <Button color="inherit" component={Link} href="/sign-in">
              Sign in
            </Button>
          )}
        </Stack>
      </Toolbar>
    </AppBar>
  );
}
