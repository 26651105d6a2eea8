import { describe, expect, it } from "vitest";

import { navFor, visibleActions } from "../lib/permissions";

const UNDERWRITER = ["applications.read", "applications.assign", "applications.decide", "applications.note", "customers.read"];
const SENIOR = [...UNDERWRITER, "applications.confirm"];
const ANALYST = ["analytics.read", "reports.read", "staff.self"];

describe("visibleActions", () => {
  it("offers an underwriter assign, approve, decline and request on an application in review", () => {
    const shown = visibleActions({ permissions: UNDERWRITER, allowedActions: ["approve", "decline", "request_information"], assignedTo: null, me: "u1" });
    expect(shown).toEqual(["assign", "approve", "decline", "request_information"]);
  });

  it("offers unassign instead of assign once the application is theirs", () => {
    const shown = visibleActions({ permissions: UNDERWRITER, allowedActions: ["approve"], assignedTo: "u1", me: "u1" });
    expect(shown).toEqual(["unassign", "approve"]);
  });

  it("shows the second approval only to a role that may confirm", () => {
    const context = { allowedActions: ["confirm_approval", "decline"], assignedTo: "u1", me: "u2" };
    expect(visibleActions({ ...context, permissions: UNDERWRITER })).not.toContain("confirm_approval");
    expect(visibleActions({ ...context, permissions: SENIOR })).toContain("confirm_approval");
  });

  it("shows an analyst nothing, whatever the application allows", () => {
    expect(visibleActions({ permissions: ANALYST, allowedActions: ["approve", "decline"], assignedTo: null, me: "a1" })).toEqual([]);
  });

  it("shows no action, not even assign, on a closed application", () => {
    expect(visibleActions({ permissions: SENIOR, allowedActions: [], assignedTo: null, me: "u1" })).toEqual([]);
  });
});

describe("navFor", () => {
  it("gives the analyst the analytics pages and no queue", () => {
    const labels = navFor(ANALYST).map((i) => i.label);
    expect(labels).toEqual(["Funnel", "Reports", "Marketing", "Analyst"]);
  });

  it("gives an underwriter the queue and customers only", () => {
    expect(navFor(UNDERWRITER).map((i) => i.label)).toEqual(["Queue", "Customers"]);
  });
});
