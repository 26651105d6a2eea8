"use client";

import Alert from "@mui/material/Alert";
import CircularProgress from "@mui/material/CircularProgress";
import type { ReactNode } from "react";

import { can, useMe } from "@/lib/me";

/** Renders its children only for a role holding `permission`; says so plainly otherwise. */
export default function Restricted({ permission, what, children }: { permission: string; what: string; children: ReactNode }) {
  const me = useMe();
  if (me === undefined) return <CircularProgress aria-label="Loading" />;
  if (!can(me, permission)) {
    return <Alert severity="info">Your role ({me?.roles.join(", ") || "none"}) does not include {what}.</Alert>;
  }
  return <>{children}</>;
}
