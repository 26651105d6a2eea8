import { NextResponse, type NextRequest } from "next/server";

import { authMessage } from "@/lib/auth-messages";
import { SignInError, confirmSignUp, resendCode } from "@/lib/session";

/** Confirms a registration with the emailed code, or (`resend: true`) sends the code again. */
export async function POST(request: NextRequest) {
  const body = (await request.json().catch(() => ({}))) as { email?: unknown; code?: unknown; resend?: unknown };
  const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
  const code = typeof body.code === "string" ? body.code.trim() : "";
  if (!email || (body.resend !== true && !/^\d{6}$/.test(code))) {
    return NextResponse.json({ message: "Enter your email address and the 6-digit code from the email." }, { status: 400 });
  }
  try {
    if (body.resend === true) await resendCode(email);
    else await confirmSignUp(email, code);
    return new NextResponse(null, { status: 204 });
  } catch (error) {
    if (error instanceof SignInError) return NextResponse.json({ message: authMessage(error.message) }, { status: 400 });
    throw error;
  }
}
