import { fileURLToPath } from "node:url";

import { defineConfig } from "vitest/config";

/** Unit tests where the portals' logic lives (`npm run test:unit`, run by the workspace's `npm test` first). */
export default defineConfig({
  resolve: { alias: { "@": fileURLToPath(new URL(".", import.meta.url)) } },
  test: { include: ["**/*.test.ts"], exclude: ["node_modules/**", ".next/**"], environment: "node" },
});
