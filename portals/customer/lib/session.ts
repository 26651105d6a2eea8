/**
 * The customer portal's session: the shared server-side sign-in (`@ff/portal-server/session`)
 * with the customer portal's own cookies.
 */
import { cookieSession } from "@ff/portal-server/session";

export { confirmSignUp, portalConfig, resendCode, signIn, SignInError, signUp } from "@ff/portal-server/session";

export const session = cookieSession({ access: "ff_access", refresh: "ff_refresh" });
export const storeTokens = session.storeTokens;
export const signedIn = session.signedIn;

/**
 * The local stack's pool has no email delivery, so `ff dev` sets `FF_COGNITO_CONFIRM_LOCALLY`
 * and registration confirms at once (moto's ConfirmSignUp takes any code). Never set elsewhere.
 */
export function confirmsLocally(): boolean {
  return process.env.FF_COGNITO_CONFIRM_LOCALLY === "true";
}
