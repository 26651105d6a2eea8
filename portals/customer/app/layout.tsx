import "@fontsource/roboto/400.css";
import "@fontsource/roboto/500.css";
import "@fontsource/roboto/700.css";

import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";

import Header from "@/components/Header";
import ThemeRegistry from "@/components/ThemeRegistry";
import { signedIn } from "@/lib/session";

export const metadata: Metadata = {
  title: "Fair Finance",
  description: "Affordable personal loans: get a quote, apply and manage your loan.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  const session = await signedIn();
  return (
    <html lang="en-GB">
      <body>
        <ThemeRegistry>
          <Header signedIn={session} />
          <main id="main">{children}</main>
        </ThemeRegistry>
      </body>
    </html>
  );
}
