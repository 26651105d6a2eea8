/**
 * The browser's only way to the API, shared by both portals: forwards `/api/v1/...` to the API's
 * `/v1/...` with the bearer token from the portal's httpOnly cookie, refreshing it once on a 401.
 * Server-sent events (the analyst's answers) are passed on unbuffered; the rest is buffered.
 */
import { type NextRequest, NextResponse } from "next/server";

import { type CookieSession, globalSignOut, portalConfig, refresh, type Tokens } from "./session";

const FORWARDED_REQUEST_HEADERS = ["content-type", "if-match", "idempotency-key", "accept"];
const FORWARDED_RESPONSE_HEADERS = ["content-type", "content-disposition", "cache-control", "etag", "location", "retry-after"];

type Context = { params: Promise<{ path: string[] }> };
export type RouteHandler = (request: NextRequest, context: Context) => Promise<NextResponse>;

/** The catch-all route handler of `app/api/v1/[...path]/route.ts` for the portal's session. */
export function apiProxy(session: CookieSession): RouteHandler {
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
    let access = request.cookies.get(session.ACCESS_COOKIE)?.value;
    const refreshToken = request.cookies.get(session.REFRESH_COOKIE)?.value;
    let refreshed: Tokens | null = null;
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
    const streaming = (upstream.headers.get("content-type") ?? "").startsWith("text/event-stream");
    const payload = upstream.status === 204 ? null : streaming ? upstream.body : await upstream.arrayBuffer();
    if (streaming) {
      // no-transform keeps the server's compression from holding the events back.
      headers.set("cache-control", "no-store, no-transform");
      headers.set("x-accel-buffering", "no");
    }
    const response = new NextResponse(payload, { status: upstream.status, headers });
    if (refreshed) session.storeTokens(response.cookies, refreshed);
    return response;
  }
  return async (request, context) => forward(request, (await context.params).path);
}

/**
 * `POST /api/auth/sign-out`: signs out at Cognito too (every refresh token of the user is
 * revoked, so a copied cookie stops working), then clears the portal's cookies. Cognito being
 * unreachable does not keep the user signed in here.
 */
export function signOutHandler(session: CookieSession): (request: NextRequest) => Promise<NextResponse> {
  return async (request) => {
    const access = request.cookies.get(session.ACCESS_COOKIE)?.value;
    if (access) await globalSignOut(access).catch(() => undefined);
    const response = new NextResponse(null, { status: 204 });
    session.clearTokens(response.cookies);
    return response;
  };
}
