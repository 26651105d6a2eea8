/** ISO days (UTC) for the period pickers: today and n days before. */
export function isoDay(offsetDays = 0, from: Date = new Date()): string {
  const day = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), from.getUTCDate() + offsetDays));
  return day.toISOString().slice(0, 10);
}

export function percent(ratio: number | null | undefined): string {
  return ratio === null || ratio === undefined ? "—" : `${(ratio * 100).toFixed(1)}%`;
}

/** "1 session", "3 sessions". */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-GB")} ${n === 1 ? one : many}`;
}
