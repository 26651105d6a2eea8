import { NextResponse, type NextRequest } from "next/server";

import { authMessage } from "@/lib/auth-messages";
import { SignInError, signIn, storeTokens } from "@/lib/session";

export async function POST(request: NextRequest) {
  const body = (await request.json().catch(() => ({}))) as { email?: unknown; password?: unknown };
  if (typeof body.email !== "string" || typeof body.password !== "string" || !body.email || !body.password) {
    return NextResponse.json({ message: "Enter your email address and password." }, { status: 400 });
  }
  try {
    const tokens = await signIn(body.email.trim(), body.password);
    const response = new NextResponse(null, { status: 204 });
    storeTokens(response.cookies, tokens);
    return response;
  } catch (error) {
    if (error instanceof SignInError) {
      const unconfirmed = error.message === "UserNotConfirmedException";
      const message = authMessage(unconfirmed ? error.message : "NotAuthorizedException");
      return NextResponse.json({ message, confirm: unconfirmed }, { status: 401 });
    }
    throw error;
  }
}
