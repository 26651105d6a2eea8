/** Signs out here and at Cognito (the refresh token is revoked), then clears the cookies. */
import { signOutHandler } from "@ff/portal-server/proxy";

import { session } from "@/lib/session";

export const POST = signOutHandler(session);
