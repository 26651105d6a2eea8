"use client";

import { AppRouterCacheProvider } from "@mui/material-nextjs/v16-appRouter";
import CssBaseline from "@mui/material/CssBaseline";
import { ThemeProvider, createTheme } from "@mui/material/styles";
import type { ReactNode } from "react";

const theme = createTheme({
  // Warning in a darker amber than the default, so white text on it (risk-flag chips) reads at AA.
  palette: { primary: { main: "#1f3a68" }, secondary: { main: "#3d2c8d" }, warning: { main: "#a84f00" } },
  typography: { fontFamily: "Roboto, Arial, sans-serif" },
});

export default function ThemeRegistry({ children }: { children: ReactNode }) {
  return (
    <AppRouterCacheProvider>
      <ThemeProvider theme={theme}>
        <CssBaseline />
        {children}
      </ThemeProvider>
    </AppRouterCacheProvider>
  );
}
