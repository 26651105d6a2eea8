import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { cookieSession, globalSignOut, signIn, SignInError, type CookieJar } from "../src/session";

/** Records what a portal's route handler writes to its response cookies. */
class Jar implements CookieJar {
  readonly set_: Record<string, { value: string; options: Record<string, unknown> }> = {};
  readonly deleted: string[] = [];
  set(name: string, value: string, options: Record<string, unknown>) {
    this.set_[name] = { value, options };
  }
  delete(name: string) {
    this.deleted.push(name);
  }
}

describe("cookieSession", () => {
  const session = cookieSession({ access: "a_cookie", refresh: "r_cookie" });

  beforeEach(() => {
    delete process.env.FF_COOKIE_SECURE;
  });

  it("keeps tokens in httpOnly, secure, same-site cookies that expire with them", () => {
    const jar = new Jar();
    session.storeTokens(jar, { AccessToken: "acc", RefreshToken: "ref", ExpiresIn: 900 });
    expect(jar.set_.a_cookie).toEqual({
      value: "acc",
      options: { httpOnly: true, secure: true, sameSite: "lax", path: "/", maxAge: 900 },
    });
    expect(jar.set_.r_cookie.value).toBe("ref");
    expect(jar.set_.r_cookie.options).toMatchObject({ httpOnly: true, secure: true, maxAge: 30 * 24 * 3600 });
  });

  it("leaves the refresh cookie alone when a refresh answers no new refresh token", () => {
    const jar = new Jar();
    session.storeTokens(jar, { AccessToken: "acc", ExpiresIn: 3600 });
    expect(Object.keys(jar.set_)).toEqual(["a_cookie"]);
  });

  it("drops the Secure flag only when told to (plain-http local stack)", () => {
    process.env.FF_COOKIE_SECURE = "false";
    const jar = new Jar();
    session.storeTokens(jar, { AccessToken: "acc", ExpiresIn: 60 });
    expect(jar.set_.a_cookie.options.secure).toBe(false);
  });

  it("clears both of its own cookies and no other", () => {
    const jar = new Jar();
    session.clearTokens(jar);
    expect(jar.deleted).toEqual(["a_cookie", "r_cookie"]);
  });
});

describe("Cognito calls", () => {
  let server: Server;
  const seen: { target: string | undefined; body: Record<string, unknown> }[] = [];
  let answer: { status: number; body: unknown } = { status: 200, body: {} };

  const read = async (request: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
  };

  beforeAll(async () => {
    server = createServer(async (request, response) => {
      seen.push({ target: request.headers["x-amz-target"] as string | undefined, body: await read(request) });
      response.writeHead(answer.status, { "content-type": "application/x-amz-json-1.1" });
      response.end(JSON.stringify(answer.body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    process.env.FF_COGNITO_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    process.env.FF_COGNITO_CLIENT_ID = "client-1";
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  beforeEach(() => {
    seen.length = 0;
  });

  it("signs in with the password flow and answers the tokens", async () => {
    answer = { status: 200, body: { AuthenticationResult: { AccessToken: "acc", RefreshToken: "ref", ExpiresIn: 900 } } };
    const tokens = await signIn("someone@example.com", "pw");
    expect(tokens.AccessToken).toBe("acc");
    expect(seen).toEqual([
      {
        target: "AWSCognitoIdentityProviderService.InitiateAuth",
        body: { AuthFlow: "USER_PASSWORD_AUTH", ClientId: "client-1", AuthParameters: { USERNAME: "someone@example.com", PASSWORD: "pw" } },
      },
    ]);
  });

  it("turns Cognito's error type into a SignInError naming it", async () => {
    answer = { status: 400, body: { __type: "com.amazonaws.cognito#UserNotConfirmedException", message: "not confirmed" } };
    const error = await signIn("someone@example.com", "pw").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignInError);
    expect((error as SignInError).message).toBe("UserNotConfirmedException");
  });

  it("refuses an answer without tokens as not authorised", async () => {
    answer = { status: 200, body: { ChallengeName: "NEW_PASSWORD_REQUIRED" } };
    await expect(signIn("someone@example.com", "pw")).rejects.toThrow("NotAuthorizedException");
  });

  it("revokes the user's sessions with GlobalSignOut on the access token", async () => {
    answer = { status: 200, body: {} };
    await globalSignOut("acc");
    expect(seen).toEqual([{ target: "AWSCognitoIdentityProviderService.GlobalSignOut", body: { AccessToken: "acc" } }]);
  });
});
