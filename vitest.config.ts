import { readdirSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Workspace packages resolve to their TypeScript sources in tests, so `npm test` never runs
// against a stale dist/. Subpath imports (`@fulcrum/core/policies`) map to `src/<sub>/index.ts`.
const root = fileURLToPath(new URL(".", import.meta.url));
const workspaces: Array<{ name: string; dir: string }> = [{ name: "proto", dir: `${root}proto` }];
for (const parent of ["packages", "services"]) {
  for (const entry of readdirSync(`${root}${parent}`, { withFileTypes: true })) {
    if (entry.isDirectory() && existsSync(`${root}${parent}/${entry.name}/src/index.ts`)) {
      workspaces.push({ name: entry.name, dir: `${root}${parent}/${entry.name}` });
    }
  }
}
const alias = workspaces.flatMap(({ name, dir }) => [
  { find: new RegExp(`^@fulcrum/${name}$`), replacement: `${dir}/src/index.ts` },
  { find: new RegExp(`^@fulcrum/${name}/(.+)$`), replacement: `${dir}/src/$1/index.ts` },
]);

export default defineConfig({
  resolve: { alias },
  test: {
    reporters: ["default"],
    projects: [
      {
        resolve: { alias },
        test: {
          name: "unit",
          include: ["{proto,packages,services}/*/src/**/*.test.ts", "proto/src/**/*.test.ts", "scripts/**/*.test.ts", "examples/*/src/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
        },
      },
      {
        resolve: { alias },
        test: {
          name: "integration",
          include: ["{packages,services}/*/test/**/*.int.test.ts", "test/**/*.int.test.ts", "examples/*/test/**/*.int.test.ts"],
          environment: "node",
          globalSetup: ["scripts/test/nats-global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
