/**
 * Charts are drawn from Vega-Lite specifications: the reports' and marketing's come from the
 * API as they are (`chart`, `vega_lite`), the funnel's is built here from its chart-ready series.
 * `adaptSpec` fits any of them to the page: the width of its container, no duplicate title (the
 * page has a heading), and a description that screen readers announce.
 */

export type Spec = Record<string, unknown>;

export interface FunnelSeries {
  labels: string[];
  sessions: { label: string; data: (number | null)[] }[];
}

/** The API's chart, made to fill its container and to describe itself. */
export function adaptSpec(spec: Spec, description: string): Spec {
  const adapted: Spec = { ...spec, width: "container", autosize: { type: "fit", contains: "padding" }, description };
  delete adapted.title;
  const config = typeof spec.config === "object" && spec.config !== null ? (spec.config as Spec) : {};
  adapted.config = { ...config, font: "Roboto, sans-serif", background: "#ffffff" };
  return adapted;
}

/** The funnel as a bar per stage (one colour per breakdown group), from the API's series. */
export function funnelSpec(series: FunnelSeries): Spec {
  const values: { stage: string; order: number; group: string; sessions: number }[] = [];
  for (const dataset of series.sessions) {
    series.labels.forEach((stage, order) => {
      const sessions = dataset.data[order];
      if (typeof sessions === "number") values.push({ stage, order, group: dataset.label, sessions });
    });
  }
  const grouped = series.sessions.length > 1;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    height: 260,
    data: { values },
    mark: "bar",
    encoding: {
      x: { field: "stage", type: "ordinal", title: "Step", sort: series.labels },
      y: { field: "sessions", type: "quantitative", title: "Sessions", axis: { format: "d" } },
      ...(grouped ? { xOffset: { field: "group" }, color: { field: "group", type: "nominal", title: null } } : {}),
      tooltip: [{ field: "stage", title: "Step" }, { field: "group", title: "Group" }, { field: "sessions", title: "Sessions" }],
    },
  };
}

/** A plain-words summary of a chart's rows for its description. */
export function describeRows(title: string, rows: number): string {
  return `${title}: a chart of ${rows} ${rows === 1 ? "row" : "rows"}; the same figures are in the table below.`;
}
