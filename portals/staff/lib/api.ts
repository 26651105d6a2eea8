"use client";
/** The browser's typed client: every call goes through the portal's proxy (`/api/v1/...`). */
import { apiClient, asProblem, type Problem } from "@ff/api-client";

export const api = apiClient("/api");

export class ApiProblem extends Error {
  constructor(readonly problem: Problem, readonly status: number) {
    super(problem.detail ?? problem.title);
  }
}

export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data !== undefined && result.response.ok) return result.data;
  const problem = asProblem(result.error);
  if (problem) throw new ApiProblem(problem, result.response.status);
  throw new Error(`The service answered ${result.response.status}`);
}

export function pounds(pence: number | null | undefined): string {
  if (pence === null || pence === undefined) return "—";
  return new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" }).format(pence / 100);
}

const stamp = new Intl.DateTimeFormat("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "Europe/London" });

export function when(iso: string | null | undefined): string {
  return iso ? stamp.format(new Date(iso)) : "—";
}

export function words(code: string): string {
  const text = code.replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A problem document's words for the reader, when `body` is one. */
export function asProblemText(body: unknown): string | null {
  const problem = asProblem(body);
  if (!problem) return null;
  const fields = problem.errors?.map((e) => `${e.path}: ${e.message}`).join("; ");
  return [problem.detail ?? problem.title, fields].filter(Boolean).join(" — ");
}
