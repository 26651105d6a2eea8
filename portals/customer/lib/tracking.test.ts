import { afterEach, describe, expect, it, vi } from "vitest";

import { ANON_COOKIE, CONSENT_COOKIE, SESSION_COOKIE, Tracker, type TrackerEnvironment, type TrackerEvent, trackName } from "./tracking";

function environment(): TrackerEnvironment & { cookies: Map<string, string> } {
  const cookies = new Map<string, string>();
  let n = 0;
  return {
    cookies,
    getCookie: (name) => cookies.get(name),
    setCookie: (name, value, maxAge) => (maxAge > 0 ? cookies.set(name, value) : cookies.delete(name)),
    newId: () => `id-${String(++n).padStart(8, "0")}`,
    now: () => new Date("2026-12-03T10:00:00Z"),
    context: () => ({ device_class: "mobile" }),
  };
}

function recorder() {
  const batches: TrackerEvent[][] = [];
  return { batches, send: async (events: TrackerEvent[]) => void batches.push(events) };
}

afterEach(() => vi.useRealTimers());

describe("the form's tracker", () => {
  it("sends nothing and sets no cookie without consent", async () => {
    const env = environment();
    const { batches, send } = recorder();
    const tracker = new Tracker(env, send);
    tracker.track("step_view", { step: "loan" });
    await tracker.flush();
    expect(batches).toEqual([]);
    expect(env.cookies.size).toBe(0);
    expect(tracker.asked()).toBe(false);
  });

  it("sends events in batches with one anonymous id and one session id", async () => {
    const env = environment();
    const { batches, send } = recorder();
    const tracker = new Tracker(env, send, { form: "application", maxBatch: 3, flushMs: 60_000 });
    tracker.setConsent(true);
    for (const step of ["loan", "personal", "address", "employment"]) tracker.track("step_view", { step });
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(3);
    expect(tracker.pending()).toBe(1);
    await tracker.flush();
    const events = batches.flat();
    expect(events).toHaveLength(4);
    expect(new Set(events.map((e) => e.anonymous_id)).size).toBe(1);
    expect(new Set(events.map((e) => e.session_id)).size).toBe(1);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(4);
    expect(events[0]).toMatchObject({ schema_version: 1, type: "step_view", form: "application", step: "loan", client_time: "2026-12-03T10:00:00.000Z" });
    for (const e of events) expect(e.event_id).toMatch(/^[A-Za-z0-9_.:-]{8,64}$/);
    expect(env.cookies.get(ANON_COOKIE)).toBe(events[0].anonymous_id);
  });

  it("flushes queued events after the interval", async () => {
    vi.useFakeTimers();
    const { batches, send } = recorder();
    const tracker = new Tracker(environment(), send, { form: "application", maxBatch: 20, flushMs: 4000 });
    tracker.setConsent(true);
    tracker.track("field_error", { step: "loan", field: "amount_pence", error_code: "minimum" });
    expect(batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(4000);
    expect(batches).toEqual([[expect.objectContaining({ type: "field_error", field: "amount_pence", error_code: "minimum" })]]);
  });

  it("forgets the ids and drops queued events when consent is withdrawn", async () => {
    const env = environment();
    const { batches, send } = recorder();
    const tracker = new Tracker(env, send, { form: "application", maxBatch: 20, flushMs: 60_000 });
    tracker.setConsent(true);
    tracker.track("step_view", { step: "loan" });
    tracker.setConsent(false);
    tracker.track("step_view", { step: "personal" });
    await tracker.flush();
    expect(batches).toEqual([]);
    expect(env.cookies.has(ANON_COOKIE)).toBe(false);
    expect(env.cookies.has(SESSION_COOKIE)).toBe(false);
    expect(env.cookies.get(CONSENT_COOKIE)).toBe("denied");
  });

  it("keeps going when a batch cannot be sent", async () => {
    const tracker = new Tracker(environment(), () => Promise.reject(new Error("offline")), { form: "application", maxBatch: 2, flushMs: 60_000 });
    tracker.setConsent(true);
    tracker.track("step_view", { step: "loan" });
    await expect(tracker.flush()).resolves.toBeUndefined();
    expect(tracker.pending()).toBe(0);
  });

  it("names fields the way the tracker accepts", () => {
    expect(trackName("previous_addresses.0.postcode")).toBe("previous_addresses.0.postcode");
    expect(trackName("previous_addresses[1].Town")).toBe("previous_addresses.1.town");
    expect(trackName("0abc")).toBe("abc");
  });
});
