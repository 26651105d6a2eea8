import { describe, expect, it } from "vitest";

import { parseEvents, readEvents } from "../lib/sse";

describe("parseEvents", () => {
  it("splits named events and keeps an unfinished one for later", () => {
    const { events, rest } = parseEvents('event: text\ndata: {"delta":"Hel"}\n\nevent: text\ndata: {"del');
    expect(events).toEqual([{ event: "text", data: '{"delta":"Hel"}' }]);
    expect(rest).toBe('event: text\ndata: {"del');
  });

  it("joins multi-line data, ignores comments and reads CRLF", () => {
    const { events } = parseEvents(": ping\r\ndata: a\r\ndata: b\r\n\r\n");
    expect(events).toEqual([{ event: "message", data: "a\nb" }]);
  });
});

describe("readEvents", () => {
  it("yields events as chunks arrive, across chunk boundaries", async () => {
    const encoder = new TextEncoder();
    const chunks = ["event: conversation\ndata: {\"conversation_id\":\"c1\"}\n", "\nevent: text\nda", "ta: {\"delta\":\"Hi\"}\n\nevent: done\ndata: {}"];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    });
    const seen: string[] = [];
    for await (const event of readEvents(body)) seen.push(event.event);
    expect(seen).toEqual(["conversation", "text", "done"]);
  });
});
