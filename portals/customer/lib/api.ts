"use client";
/** The browser's typed client: every call goes through the portal's proxy (`/api/v1/...`). */
import { apiClient, asProblem, type Problem } from "@ff/api-client";

export const api = apiClient("/api");

export class ApiProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

/** The data of a successful response, else an ApiProblem (or a generic error). */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data !== undefined && result.response.ok) return result.data;
  const problem = asProblem(result.error);
  if (problem) throw new ApiProblem(problem);
  throw new Error(`The service answered ${result.response.status}`);
}

export function pounds(pence: number): string {
  return new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" }).format(pence / 100);
}
