import { fileURLToPath } from "node:url";

import { defineConfig } from "vitest/config";

/** Unit tests where the portals' logic lives (`npm run test:unit`, first step of `npm test`). */
export default defineConfig({
  resolve: { alias: { "@": fileURLToPath(new URL("./customer", import.meta.url)) } },
  test: { include: ["customer/**/*.test.ts", "staff/**/*.test.ts"], environment: "node" },
});
