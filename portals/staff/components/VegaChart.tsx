"use client";
/** A Vega-Lite chart drawn in the browser with vega-embed (loaded only on the client). */

import Alert from "@mui/material/Alert";
import Box from "@mui/material/Box";
import { useEffect, useRef, useState } from "react";

import { adaptSpec, type Spec } from "@/lib/charts";

export default function VegaChart({ spec, description }: { spec: Spec; description: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    let finalize: (() => void) | undefined;
    let live = true;
    import("vega-embed")
      .then(({ default: embed }) =>
        embed(element, adaptSpec(spec, description) as Parameters<typeof embed>[1], { actions: false, renderer: "svg" }),
      )
      .then((result) => {
        if (live) finalize = () => result.finalize();
        else result.finalize();
      })
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
      finalize?.();
    };
  }, [spec, description]);
  if (failed) return <Alert severity="warning">The chart could not be drawn; the figures are in the table.</Alert>;
  return <Box ref={ref} data-testid="chart" sx={{ width: "100%", minHeight: 200 }} />;
}
