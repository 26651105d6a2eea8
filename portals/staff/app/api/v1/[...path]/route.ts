/**
 * The browser's only way to the API: forwards `/api/v1/...` to the API's `/v1/...` with the
 * bearer token from the httpOnly cookie, refreshing it once on a 401. Server-sent events are
 * passed on unbuffered.
 */
import { type NextRequest, NextResponse } from "next/server";

import { ACCESS_COOKIE, REFRESH_COOKIE, portalConfig, refresh, storeTokens } from "@/lib/session";

const FORWARDED_REQUEST_HEADERS = ["content-type", "if-match", "idempotency-key", "accept"];
const FORWARDED_RESPONSE_HEADERS = ["content-type", "content-disposition", "cache-control", "etag", "location", "retry-after"];

async function forward(request: NextRequest, path: string[]): Promise<NextResponse> {
  const config = portalConfig();
  const url = `${config.apiUrl}/v1/${path.map(encodeURIComponent).join("/")}${request.nextUrl.search}`;
  const body = ["GET", "HEAD"].includes(request.method) ? undefined : await request.arrayBuffer();
  const send = (token: string | undefined) => {
    const headers = new Headers();
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = request.headers.get(name);
      if (value) headers.set(name, value);
    }
    if (token) headers.set("authorization", `Bearer ${token}`);
    return fetch(url, { method: request.method, headers, body, cache: "no-store" });
  };
  let access = request.cookies.get(ACCESS_COOKIE)?.value;
  const refreshToken = request.cookies.get(REFRESH_COOKIE)?.value;
  let refreshed: Awaited<ReturnType<typeof refresh>> | null = null;
  if (!access && refreshToken) {
    refreshed = await refresh(refreshToken).catch(() => null);
    access = refreshed?.AccessToken;
  }
  let upstream = await send(access);
  if (upstream.status === 401 && refreshToken && !refreshed) {
    refreshed = await refresh(refreshToken).catch(() => null);
    if (refreshed) upstream = await send(refreshed.AccessToken);
  }
  const headers = new Headers();
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = upstream.headers.get(name);
    if (value) headers.set(name, value);
  }
  // Server-sent events (the analyst's answers) stream through as they arrive; the rest is buffered.
  const streaming = (upstream.headers.get("content-type") ?? "").startsWith("text/event-stream");
  const payload = upstream.status === 204 ? null : streaming ? upstream.body : await upstream.arrayBuffer();
  if (streaming) {
    // no-transform keeps the server's compression from holding the events back.
    headers.set("cache-control", "no-store, no-transform");
    headers.set("x-accel-buffering", "no");
  }
  const response = new NextResponse(payload, { status: upstream.status, headers });
  if (refreshed) storeTokens(response.cookies, refreshed);
  return response;
}

type Context = { params: Promise<{ path: string[] }> };

async function handle(request: NextRequest, context: Context) {
  return forward(request, (await context.params).path);
}

export { handle as DELETE, handle as GET, handle as PATCH, handle as POST, handle as PUT };
