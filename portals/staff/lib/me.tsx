"use client";
/** The signed-in member of staff and their permissions, from GET /v1/staff/me. */
import { createContext, type ReactNode, useContext, useEffect, useState } from "react";

import type { Schemas } from "@ff/api-client";

import { api } from "@/lib/api";

type Me = Schemas["StaffMe"];
const MeContext = createContext<Me | null | undefined>(undefined);

/** Fetched once per session change: the layout passes whether a session cookie is held. */
export function MeProvider({ signedIn, children }: { signedIn: boolean; children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  useEffect(() => {
    if (!signedIn) {
      queueMicrotask(() => setMe(null));
      return;
    }
    let live = true;
    api
      .GET("/v1/staff/me")
      .then((r) => live && setMe(r.data ?? null))
      .catch(() => live && setMe(null));
    return () => {
      live = false;
    };
  }, [signedIn]);
  return <MeContext.Provider value={me}>{children}</MeContext.Provider>;
}

/** undefined while loading, null when not signed in. */
export function useMe(): Me | null | undefined {
  return useContext(MeContext);
}

export function can(me: Me | null | undefined, permission: string): boolean {
  return Boolean(me?.permissions.includes(permission));
}
