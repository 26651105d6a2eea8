/**
 * Server-side sign-in: the portal's route handlers talk to Cognito and keep the tokens in
 * secure, httpOnly, same-site cookies; the browser never sees a token and nothing is written to
 * browser storage. The API is reached through the portal's own proxy (`/api/v1/...`), which adds
 * the bearer token and refreshes it once when the API answers 401.
 */
import { cookies } from "next/headers";

export const ACCESS_COOKIE = "ff_access";
export const REFRESH_COOKIE = "ff_refresh";

export interface PortalConfig {
  apiUrl: string;
  cognitoEndpoint: string;
  clientId: string;
  secureCookies: boolean;
}

export function portalConfig(): PortalConfig {
  const region = process.env.FF_COGNITO_REGION ?? "eu-west-2";
  return {
    apiUrl: (process.env.FF_API_URL ?? "http://127.0.0.1:8000").replace(/\/$/, ""),
    cognitoEndpoint: process.env.FF_COGNITO_ENDPOINT ?? `https://cognito-idp.${region}.amazonaws.com/`,
    clientId: process.env.FF_COGNITO_CLIENT_ID ?? "",
    secureCookies: process.env.FF_COOKIE_SECURE !== "false",
  };
}

interface Tokens {
  AccessToken: string;
  RefreshToken?: string;
  ExpiresIn: number;
}

export class SignInError extends Error {}

async function initiateAuth(flow: string, parameters: Record<string, string>): Promise<Tokens> {
  const config = portalConfig();
  const response = await fetch(config.cognitoEndpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
    },
    body: JSON.stringify({ AuthFlow: flow, ClientId: config.clientId, AuthParameters: parameters }),
    signal: AbortSignal.timeout(10_000),
    cache: "no-store",
  });
  const body = (await response.json().catch(() => ({}))) as {
    AuthenticationResult?: Tokens;
    __type?: string;
  };
  if (!response.ok || !body.AuthenticationResult) {
    throw new SignInError(body.__type ?? `sign-in failed (${response.status})`);
  }
  return body.AuthenticationResult;
}

export function signIn(email: string, password: string): Promise<Tokens> {
  return initiateAuth("USER_PASSWORD_AUTH", { USERNAME: email, PASSWORD: password });
}

export function refresh(refreshToken: string): Promise<Tokens> {
  return initiateAuth("REFRESH_TOKEN_AUTH", { REFRESH_TOKEN: refreshToken });
}

interface CookieJar {
  set(name: string, value: string, options: Record<string, unknown>): unknown;
  delete(name: string): unknown;
}

export function storeTokens(jar: CookieJar, tokens: Tokens): void {
  const secure = portalConfig().secureCookies;
  const base = { httpOnly: true, secure, sameSite: "lax", path: "/" };
  jar.set(ACCESS_COOKIE, tokens.AccessToken, { ...base, maxAge: tokens.ExpiresIn });
  if (tokens.RefreshToken) {
    jar.set(REFRESH_COOKIE, tokens.RefreshToken, { ...base, maxAge: 30 * 24 * 3600 });
  }
}

export function clearTokens(jar: CookieJar): void {
  jar.delete(ACCESS_COOKIE);
  jar.delete(REFRESH_COOKIE);
}

/** Whether the visitor holds a session (for server components deciding what to render). */
export async function signedIn(): Promise<boolean> {
  const jar = await cookies();
  return jar.has(ACCESS_COOKIE) || jar.has(REFRESH_COOKIE);
}
