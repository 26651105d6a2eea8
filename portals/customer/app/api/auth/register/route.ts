import { NextResponse, type NextRequest } from "next/server";

import { authMessage, registrationErrors } from "@/lib/auth-messages";
import { SignInError, confirmSignUp, confirmsLocally, signIn, signUp, storeTokens } from "@/lib/session";

/** Registers a customer in the Cognito pool. Answers 201 signed in when the pool confirmed them
 * (or the local stack does), else 202: the customer confirms with the code sent by email. */
export async function POST(request: NextRequest) {
  const body = (await request.json().catch(() => ({}))) as { email?: unknown; password?: unknown };
  const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
  const password = typeof body.password === "string" ? body.password : "";
  const errors = registrationErrors(email, password, password);
  if (Object.keys(errors).length) {
    return NextResponse.json({ message: "Check your answers.", errors }, { status: 400 });
  }
  try {
    let confirmed = await signUp(email, password);
    if (!confirmed && confirmsLocally()) {
      await confirmSignUp(email, "000000");
      confirmed = true;
    }
    if (!confirmed) return NextResponse.json({ confirm: true }, { status: 202 });
    const response = NextResponse.json({ confirm: false }, { status: 201 });
    storeTokens(response.cookies, await signIn(email, password));
    return response;
  } catch (error) {
    if (error instanceof SignInError) {
      const status = error.message === "UsernameExistsException" ? 409 : 400;
      return NextResponse.json({ message: authMessage(error.message) }, { status });
    }
    throw error;
  }
}
