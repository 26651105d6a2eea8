import { describe, expect, it } from "vitest";

import { authMessage, registrationErrors } from "./auth-messages";
import { presignedForm } from "./upload";

describe("registration", () => {
  it("accepts a good email address and a strong password", () => {
    expect(registrationErrors("amelia@example.com", "Str0ng-Passw0rd!", "Str0ng-Passw0rd!")).toEqual({});
  });

  it("explains each problem at its field", () => {
    const errors = registrationErrors("amelia", "weak", "other");
    expect(Object.keys(errors).sort()).toEqual(["confirm", "email", "password"]);
  });

  it("words Cognito's errors plainly, and never shows their type names", () => {
    expect(authMessage("UsernameExistsException")).toMatch(/already an account/);
    expect(authMessage("SomethingNew")).toBe("Something went wrong. Please try again.");
  });
});

describe("the presigned POST", () => {
  it("puts every signed field before the file", () => {
    const form = presignedForm(
      { method: "POST", url: "http://s3", headers: {}, fields: { key: "documents/1", policy: "p", "x-amz-signature": "s" } },
      new Blob(["%PDF"]),
      "payslip.pdf",
    );
    expect([...form.keys()]).toEqual(["key", "policy", "x-amz-signature", "file"]);
  });
});
