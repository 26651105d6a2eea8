import { describe, expect, it } from "vitest";

import { counted, isoDay, percent } from "../lib/dates";

describe("dates and counts", () => {
  it("counts in words that agree", () => {
    expect(counted(1, "session")).toBe("1 session");
    expect(counted(1200, "session")).toBe("1,200 sessions");
    expect(counted(0, "query", "queries")).toBe("0 queries");
  });

  it("gives ISO days relative to a day, across a month's end", () => {
    expect(isoDay(-29, new Date("2026-12-03T23:30:00Z"))).toBe("2026-11-04");
    expect(isoDay(1, new Date("2026-12-31T00:00:00Z"))).toBe("2027-01-01");
  });

  it("shows ratios as percentages and a missing one as a dash", () => {
    expect(percent(0.4567)).toBe("45.7%");
    expect(percent(null)).toBe("—");
  });
});
