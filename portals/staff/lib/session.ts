/**
 * The staff portal's session: the shared server-side sign-in (`@ff/portal-server/session`) with
 * the staff portal's own cookies.
 */
import { cookieSession } from "@ff/portal-server/session";

export { signIn, SignInError } from "@ff/portal-server/session";

export const session = cookieSession({ access: "ff_staff_access", refresh: "ff_staff_refresh" });
export const storeTokens = session.storeTokens;
export const signedIn = session.signedIn;
