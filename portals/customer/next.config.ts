import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  transpilePackages: ["@ff/api-client", "@ff/portal-server"],
  // The workspace root holds the lock file: trace from there.
  outputFileTracingRoot: new URL("..", import.meta.url).pathname,
};

export default config;
