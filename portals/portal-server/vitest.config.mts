import { defineConfig } from "vitest/config";

/** Unit tests of the portals' shared server code (`npm run test:unit`). */
export default defineConfig({
  test: { include: ["tests/**/*.test.ts"], environment: "node" },
});
