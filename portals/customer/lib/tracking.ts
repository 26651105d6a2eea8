/**
 * Journey tracking for the application form: events in the tracker's schema (version 1,
 * `docs/tracker.md`) queued and sent to `POST /v1/track` in batches, only with the customer's
 * consent. The anonymous id lives in a first-party cookie for a year and the session id in a
 * cookie that ends after 30 minutes without an event; neither exists without consent, and
 * withdrawing consent deletes both and drops anything queued. No personal data is sent: field
 * names and error codes only, never values.
 */

export const CONSENT_COOKIE = "ff_analytics_consent";
export const ANON_COOKIE = "ff_anon";
export const SESSION_COOKIE = "ff_journey";
const SESSION_IDLE_SECONDS = 30 * 60;
const YEAR_SECONDS = 365 * 24 * 3600;

export type EventType =
  | "page_view"
  | "step_view"
  | "field_focus"
  | "field_blur"
  | "field_error"
  | "step_complete"
  | "form_submit"
  | "form_abandon";

export interface TrackerEvent {
  schema_version: 1;
  event_id: string;
  session_id: string;
  anonymous_id: string;
  type: EventType;
  form: string;
  step?: string;
  field?: string;
  error_code?: string;
  client_time: string;
  context?: { device_class?: "desktop" | "mobile" | "tablet" | "other"; utm_source?: string; utm_medium?: string; utm_campaign?: string; referrer?: string };
  application_id?: string;
}

export interface Detail {
  step?: string;
  field?: string;
  error_code?: string;
  application_id?: string;
}

/** Where the tracker reads and writes its cookies and ids (the browser's, or a test's). */
export interface TrackerEnvironment {
  getCookie(name: string): string | undefined;
  setCookie(name: string, value: string, maxAgeSeconds: number): void;
  newId(): string;
  now(): Date;
  context(): TrackerEvent["context"];
}

/** A name the tracker accepts (`^[a-z][a-z0-9_.-]*$`, at most 64): array indexes become dots. */
export function trackName(name: string): string {
  const cleaned = name.toLowerCase().replace(/\[(\d+)\]/g, ".$1").replace(/[^a-z0-9_.-]/g, "_").replace(/^[^a-z]+/, "");
  return (cleaned || "field").slice(0, 64);
}

/** Queues events and sends them in batches: when `maxBatch` are waiting, after `flushMs`, or
 * at once when the page is left (`flush(true)` uses a keep-alive request). */
export class Tracker {
  private queue: TrackerEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly env: TrackerEnvironment,
    private readonly send: (events: TrackerEvent[], leaving: boolean) => Promise<void>,
    private readonly options: { form: string; maxBatch: number; flushMs: number } = { form: "application", maxBatch: 20, flushMs: 4000 },
  ) {}

  consented(): boolean {
    return this.env.getCookie(CONSENT_COOKIE) === "granted";
  }

  /** Record the customer's choice; withdrawing it deletes the ids and drops queued events. */
  setConsent(granted: boolean): void {
    this.env.setCookie(CONSENT_COOKIE, granted ? "granted" : "denied", YEAR_SECONDS);
    if (!granted) {
      this.env.setCookie(ANON_COOKIE, "", 0);
      this.env.setCookie(SESSION_COOKIE, "", 0);
      this.queue = [];
      this.cancelTimer();
    }
  }

  /** Whether the customer has answered the consent question at all. */
  asked(): boolean {
    return this.env.getCookie(CONSENT_COOKIE) !== undefined;
  }

  private id(cookie: string, maxAge: number): string {
    const existing = this.env.getCookie(cookie);
    const id = existing && /^[A-Za-z0-9_.:-]{8,64}$/.test(existing) ? existing : this.env.newId();
    this.env.setCookie(cookie, id, maxAge);
    return id;
  }

  track(type: EventType, detail: Detail = {}): void {
    if (!this.consented()) return;
    const event: TrackerEvent = {
      schema_version: 1,
      event_id: this.env.newId(),
      session_id: this.id(SESSION_COOKIE, SESSION_IDLE_SECONDS),
      anonymous_id: this.id(ANON_COOKIE, YEAR_SECONDS),
      type,
      form: this.options.form,
      client_time: this.env.now().toISOString(),
      context: this.env.context(),
    };
    if (detail.step) event.step = trackName(detail.step);
    if (detail.field) event.field = trackName(detail.field);
    if (detail.error_code) event.error_code = trackName(detail.error_code);
    if (detail.application_id) event.application_id = detail.application_id;
    this.queue.push(event);
    if (this.queue.length >= this.options.maxBatch) void this.flush();
    else this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs);
  }

  pending(): number {
    return this.queue.length;
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Send what is queued, a batch at a time; a failed batch is dropped (analytics never block). */
  async flush(leaving = false): Promise<void> {
    this.cancelTimer();
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      await this.send(batch, leaving).catch(() => undefined);
    }
  }
}

function deviceClass(): "desktop" | "mobile" | "tablet" {
  const width = window.screen?.width ?? window.innerWidth;
  if (width < 600) return "mobile";
  return width < 1024 ? "tablet" : "desktop";
}

export function browserEnvironment(): TrackerEnvironment {
  return {
    getCookie(name) {
      const match = document.cookie.split("; ").find((c) => c.startsWith(`${name}=`));
      return match ? decodeURIComponent(match.slice(name.length + 1)) : undefined;
    },
    setCookie(name, value, maxAge) {
      const secure = window.location.protocol === "https:" ? "; Secure" : "";
      document.cookie = `${name}=${encodeURIComponent(value)}; Max-Age=${maxAge}; Path=/; SameSite=Lax${secure}`;
    },
    newId: () => crypto.randomUUID(),
    now: () => new Date(),
    context() {
      const params = new URLSearchParams(window.location.search);
      const context: TrackerEvent["context"] = { device_class: deviceClass() };
      for (const key of ["utm_source", "utm_medium", "utm_campaign"] as const) {
        const value = params.get(key);
        if (value) context[key] = value.slice(0, 200);
      }
      if (document.referrer) context.referrer = document.referrer.split(/[?#]/)[0].slice(0, 500);
      return context;
    },
  };
}

async function post(events: TrackerEvent[], leaving: boolean): Promise<void> {
  await fetch("/api/v1/track", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ events }),
    keepalive: leaving,
  });
}

let shared: Tracker | null = null;

/** The page's one tracker (browser only). */
export function tracker(): Tracker {
  shared ??= new Tracker(browserEnvironment(), post);
  return shared;
}
