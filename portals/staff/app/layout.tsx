import "@fontsource/roboto/400.css";
import "@fontsource/roboto/500.css";
import "@fontsource/roboto/700.css";

import type { Metadata } from "next";
import type { ReactNode } from "react";

import Header from "@/components/Header";
import ThemeRegistry from "@/components/ThemeRegistry";
import { MeProvider } from "@/lib/me";
import { signedIn } from "@/lib/session";

export const metadata: Metadata = { title: "Fair Finance staff", description: "Application review and customer casework." };

export default async function RootLayout({ children }: { children: ReactNode }) {
  const session = await signedIn();
  return (
    <html lang="en-GB">
      <body>
        <ThemeRegistry>
          {/* Keyed by the session, so signing in or out starts from "loading", never from the last answer. */}
          <MeProvider key={String(session)} signedIn={session}>
            <Header signedIn={session} />
            <main id="main">{children}</main>
          </MeProvider>
        </ThemeRegistry>
      </body>
    </html>
  );
}
