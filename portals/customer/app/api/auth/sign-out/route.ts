import { NextResponse } from "next/server";

import { clearTokens } from "@/lib/session";

export async function POST() {
  const response = new NextResponse(null, { status: 204 });
  clearTokens(response.cookies);
  return response;
}
