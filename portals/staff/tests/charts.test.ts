import { describe, expect, it } from "vitest";

import { adaptSpec, funnelSpec } from "../lib/charts";

describe("adaptSpec", () => {
  const api = { $schema: "v5", title: "Approvals", width: 560, height: 280, data: { values: [] }, config: { font: "sans-serif" } };

  it("fills its container, drops the duplicate title and describes itself", () => {
    const spec = adaptSpec(api, "Approvals by week");
    expect(spec.width).toBe("container");
    expect(spec.title).toBeUndefined();
    expect(spec.description).toBe("Approvals by week");
    expect(spec.height).toBe(280);
  });

  it("leaves the API's specification untouched", () => {
    adaptSpec(api, "x");
    expect(api.title).toBe("Approvals");
    expect(api.width).toBe(560);
  });
});

describe("funnelSpec", () => {
  it("draws one bar per stage in the funnel's order, skipping suppressed values", () => {
    const spec = funnelSpec({ labels: ["loan", "personal", "submitted"], sessions: [{ label: "all", data: [10, null, 4] }] });
    const values = (spec.data as { values: { stage: string; sessions: number }[] }).values;
    expect(values.map((v) => [v.stage, v.sessions])).toEqual([
      ["loan", 10],
      ["submitted", 4],
    ]);
    const encoding = spec.encoding as Record<string, { sort?: string[] }>;
    expect(encoding.x.sort).toEqual(["loan", "personal", "submitted"]);
    expect(encoding.color).toBeUndefined();
  });

  it("colours and offsets the bars by group when the funnel is broken down", () => {
    const spec = funnelSpec({
      labels: ["loan"],
      sessions: [
        { label: "google", data: [3] },
        { label: "direct", data: [2] },
      ],
    });
    const encoding = spec.encoding as Record<string, unknown>;
    expect(encoding.color).toEqual({ field: "group", type: "nominal", title: null });
    expect(encoding.xOffset).toEqual({ field: "group" });
  });
});
