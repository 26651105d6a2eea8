import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { signOutHandler } from "../src/proxy";
import { cookieSession } from "../src/session";

describe("signOutHandler", () => {
  let server: Server;
  const targets: (string | undefined)[] = [];
  let status = 200;

  beforeAll(async () => {
    server = createServer((request, response) => {
      targets.push(request.headers["x-amz-target"] as string | undefined);
      request.resume();
      response.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
      response.end(status === 200 ? "{}" : JSON.stringify({ __type: "InternalErrorException" }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    process.env.FF_COGNITO_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const session = cookieSession({ access: "x_access", refresh: "x_refresh" });
  const signOut = signOutHandler(session);
  const request = (cookie?: string) =>
    new NextRequest("http://portal.test/api/auth/sign-out", { method: "POST", headers: cookie ? { cookie } : {} });
  const cleared = (response: Response) =>
    response.headers
      .getSetCookie()
      .filter((c) => /Max-Age=0|Expires=Thu, 01 Jan 1970/.test(c))
      .map((c) => c.split("=")[0]);

  it("revokes the session at Cognito and clears the portal's cookies", async () => {
    targets.length = 0;
    status = 200;
    const response = await signOut(request("x_access=acc; x_refresh=ref"));
    expect(response.status).toBe(204);
    expect(targets).toEqual(["AWSCognitoIdentityProviderService.GlobalSignOut"]);
    expect(cleared(response).sort()).toEqual(["x_access", "x_refresh"]);
  });

  it("still signs out here when Cognito fails", async () => {
    targets.length = 0;
    status = 500;
    const response = await signOut(request("x_access=acc"));
    expect(response.status).toBe(204);
    expect(targets).toHaveLength(1);
    expect(cleared(response).sort()).toEqual(["x_access", "x_refresh"]);
  });

  it("calls nobody without an access cookie", async () => {
    targets.length = 0;
    const response = await signOut(request());
    expect(response.status).toBe(204);
    expect(targets).toEqual([]);
  });
});
