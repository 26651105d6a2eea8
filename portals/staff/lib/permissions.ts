/**
 * Which review actions and which pages a member of staff sees: the application's
 * `allowed_actions` (what its status allows) combined with the permissions of their roles
 * (`GET /v1/staff/me`). The API enforces both anyway; the portal only hides what would be refused.
 */

export type ReviewAction = "assign" | "unassign" | "approve" | "confirm_approval" | "decline" | "request_information";

/** The permission each review action needs. */
export const ACTION_PERMISSION: Record<ReviewAction, string> = {
  assign: "applications.assign",
  unassign: "applications.assign",
  approve: "applications.decide",
  confirm_approval: "applications.confirm",
  decline: "applications.decide",
  request_information: "applications.decide",
};

const LIFECYCLE_ACTIONS: ReviewAction[] = ["approve", "confirm_approval", "decline", "request_information"];

export interface ActionContext {
  permissions: readonly string[];
  allowedActions: readonly string[];
  assignedTo: string | null;
  me: string | null;
}

/** The review buttons to show, in the order they are drawn. */
export function visibleActions({ permissions, allowedActions, assignedTo, me }: ActionContext): ReviewAction[] {
  const held = new Set(permissions);
  const allowed = new Set(allowedActions);
  const open = LIFECYCLE_ACTIONS.some((a) => allowed.has(a));
  const shown: ReviewAction[] = [];
  if (open && held.has(ACTION_PERMISSION.assign) && me !== null && assignedTo !== me) shown.push("assign");
  if (open && held.has(ACTION_PERMISSION.unassign) && assignedTo !== null && assignedTo === me) shown.push("unassign");
  for (const action of LIFECYCLE_ACTIONS) {
    if (allowed.has(action) && held.has(ACTION_PERMISSION[action])) shown.push(action);
  }
  return shown;
}

export interface NavItem {
  href: string;
  label: string;
  permission: string;
}

export const NAV: NavItem[] = [
  { href: "/", label: "Queue", permission: "applications.read" },
  { href: "/customers", label: "Customers", permission: "customers.read" },
  { href: "/analytics", label: "Funnel", permission: "analytics.read" },
  { href: "/reports", label: "Reports", permission: "reports.read" },
  { href: "/marketing", label: "Marketing", permission: "analytics.read" },
  { href: "/analyst", label: "Analyst", permission: "analytics.read" },
  { href: "/operations", label: "Operations", permission: "ops.lms" },
];

/** The pages a member of staff may open, from their permissions. */
export function navFor(permissions: readonly string[]): NavItem[] {
  const held = new Set(permissions);
  return NAV.filter((item) => held.has(item.permission));
}
