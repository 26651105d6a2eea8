/**
 * Server-side sign-in, shared by both portals: the portal's route handlers talk to Cognito and
 * keep the tokens in secure, httpOnly, same-site cookies; the browser never sees a token and
 * nothing is written to browser storage. The API is reached through the portal's own proxy
 * (`/api/v1/...`, see `./proxy`), which adds the bearer token and refreshes it once when the API
 * answers 401. Each portal names its own cookies (`cookieSession`), so a member of staff who is
 * also a customer holds two separate sessions.
 */
import { cookies } from "next/headers";

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

export interface Tokens {
  AccessToken: string;
  RefreshToken?: string;
  ExpiresIn: number;
}

/** Cognito refused: the message is Cognito's error type (`NotAuthorizedException`, ...). */
export class SignInError extends Error {}

/** One call to Cognito's public (unsigned) user-pool API: sign-up, confirmation, sign-in. */
async function cognito<T>(operation: string, payload: Record<string, unknown>): Promise<T> {
  const config = portalConfig();
  const response = await fetch(config.cognitoEndpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AWSCognitoIdentityProviderService.${operation}`,
    },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(10_000),
    cache: "no-store",
  });
  const body = (await response.json().catch(() => ({}))) as T & { __type?: string };
  if (!response.ok) {
    const type = (body.__type ?? "").split("#").pop() ?? "";
    throw new SignInError(type || `${operation} failed (${response.status})`);
  }
  return body;
}

async function initiateAuth(flow: string, parameters: Record<string, string>): Promise<Tokens> {
  const body = await cognito<{ AuthenticationResult?: Tokens }>("InitiateAuth", {
    AuthFlow: flow,
    ClientId: portalConfig().clientId,
    AuthParameters: parameters,
  });
  if (!body.AuthenticationResult) throw new SignInError("NotAuthorizedException");
  return body.AuthenticationResult;
}

export function signIn(email: string, password: string): Promise<Tokens> {
  return initiateAuth("USER_PASSWORD_AUTH", { USERNAME: email, PASSWORD: password });
}

export function refresh(refreshToken: string): Promise<Tokens> {
  return initiateAuth("REFRESH_TOKEN_AUTH", { REFRESH_TOKEN: refreshToken });
}

/** Registers a user in the pool; answers whether the pool confirmed them already. */
export async function signUp(email: string, password: string): Promise<boolean> {
  const body = await cognito<{ UserConfirmed?: boolean }>("SignUp", {
    ClientId: portalConfig().clientId,
    Username: email,
    Password: password,
    UserAttributes: [{ Name: "email", Value: email }],
  });
  return body.UserConfirmed === true;
}

/** Confirms a registration with the code Cognito sent to the user's email address. */
export async function confirmSignUp(email: string, code: string): Promise<void> {
  await cognito("ConfirmSignUp", { ClientId: portalConfig().clientId, Username: email, ConfirmationCode: code });
}

/** Sends the confirmation code again. */
export async function resendCode(email: string): Promise<void> {
  await cognito("ResendConfirmationCode", { ClientId: portalConfig().clientId, Username: email });
}

/** Ends every session of the token's user at Cognito (the refresh token stops working). */
export async function globalSignOut(accessToken: string): Promise<void> {
  await cognito("GlobalSignOut", { AccessToken: accessToken });
}

export interface CookieJar {
  set(name: string, value: string, options: Record<string, unknown>): unknown;
  delete(name: string): unknown;
}

export interface CookieNames {
  access: string;
  refresh: string;
}

/** A portal's session cookies: where its tokens are kept, read and cleared. */
export interface CookieSession {
  readonly ACCESS_COOKIE: string;
  readonly REFRESH_COOKIE: string;
  storeTokens(jar: CookieJar, tokens: Tokens): void;
  clearTokens(jar: CookieJar): void;
  /** Whether the visitor holds a session (for server components deciding what to render). */
  signedIn(): Promise<boolean>;
}

/** Refresh tokens live 30 days in the pools (terraform and the local stack). */
const REFRESH_MAX_AGE_SECONDS = 30 * 24 * 3600;

export function cookieSession(names: CookieNames): CookieSession {
  return {
    ACCESS_COOKIE: names.access,
    REFRESH_COOKIE: names.refresh,
    storeTokens(jar, tokens) {
      const base = { httpOnly: true, secure: portalConfig().secureCookies, sameSite: "lax", path: "/" };
      jar.set(names.access, tokens.AccessToken, { ...base, maxAge: tokens.ExpiresIn });
      if (tokens.RefreshToken) jar.set(names.refresh, tokens.RefreshToken, { ...base, maxAge: REFRESH_MAX_AGE_SECONDS });
    },
    clearTokens(jar) {
      jar.delete(names.access);
      jar.delete(names.refresh);
    },
    async signedIn() {
      const jar = await cookies();
      return jar.has(names.access) || jar.has(names.refresh);
    },
  };
}
