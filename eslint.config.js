// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** Modules that do I/O, own a clock or a process: forbidden in the pure core (docs/architecture.md#layout-and-rules). */
const IO_MODULES = [
  "@nats-io/*",
  "@grpc/*",
  "onnxruntime-node",
  "highs",
  "@opentelemetry/sdk-*",
  "node:fs",
  "node:fs/*",
  "fs",
  "node:net",
  "net",
  "node:child_process",
  "node:worker_threads",
  "node:process",
  "process",
  "@fulcrum/runtime",
  "@fulcrum/proto",
];

export default tseslint.config(
  { ignores: ["**/dist/**", "**/node_modules/**", "**/src/gen/**", "**/.turbo/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-restricted-imports": ["error", { patterns: [{ group: ["@fulcrum/*/src/*"], message: "Import the package's public surface, not its internals." }] }],
    },
  },
  {
    files: ["**/*.mjs", "**/*.js"],
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly" } },
  },
  {
    files: ["packages/core/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        { patterns: [{ group: IO_MODULES, message: "packages/core is pure: no I/O, clocks or processes. Pass them in through a port." }] },
      ],
      "no-restricted-globals": ["error", { name: "process", message: "packages/core is pure: pass configuration in." }],
      "no-restricted-properties": [
        "error",
        { object: "Date", property: "now", message: "packages/core has no clock: take `now` as a parameter." },
        { object: "Math", property: "random", message: "packages/core takes a seeded RNG as a parameter." },
        { object: "performance", property: "now", message: "packages/core has no clock: take `now` as a parameter." },
      ],
    },
  },
);
