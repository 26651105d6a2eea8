"use client";
/** The signed-in member of staff and their permissions, from GET /v1/staff/me. */
import { createContext, type ReactNode, useContext, useEffect, useState } from "react";

import type { Schemas } from "@ff/api-client";

import { api } from "@/lib/api";

type Me = Schemas["StaffMe"];
const MeContext = createContext<Me | null | undefined>(undefined);

export function MeProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    api.GET("/v1/staff/me").then((r) => setMe(r.data ?? null)).catch(() => setMe(null));
  }, []);
  return <MeContext.Provider value={me}>{children}</MeContext.Provider>;
}

/** undefined while loading, null when not signed in. */
export function useMe(): Me | null | undefined {
  return useContext(MeContext);
}

export function can(me: Me | null | undefined, permission: string): boolean {
  return Boolean(me?.permissions.includes(permission));
}
