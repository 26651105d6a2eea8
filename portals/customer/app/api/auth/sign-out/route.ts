import { NextResponse, type NextRequest } from "next/server";

import { ACCESS_COOKIE, clearTokens, globalSignOut } from "@/lib/session";

/** Signs out here and at Cognito (the refresh token is revoked), then clears the cookies. */
export async function POST(request: NextRequest) {
  const access = request.cookies.get(ACCESS_COOKIE)?.value;
  if (access) await globalSignOut(access).catch(() => undefined);
  const response = new NextResponse(null, { status: 204 });
  clearTokens(response.cookies);
  return response;
}
