/** @type {import('@types/eslint').Linter.BaseConfig} */
module.exports = {
  root: true,
  extends: [
    "@remix-run/eslint-config",
    "@remix-run/eslint-config/node",
    "prettier",
  ],
  globals: { shopify: "readonly" },
  ignorePatterns: [
    "build/",
    "node_modules/",
    "extensions/**/assets/",
    "test-results/",
  ],
  rules: {
    "@typescript-eslint/no-explicit-any": "error",
  },
  overrides: [
    {
      // app/ is what ships: it never reaches into the dev tools (dev/) or the tests (its own unit
      // tests may use the shared fixtures in test/; they are not part of the build).
      files: ["app/**"],
      excludedFiles: ["**/*.test.ts", "**/*.test.tsx", "**/__fixtures__/**"],
      rules: {
        "no-restricted-imports": [
          "error",
          {
            patterns: [
              {
                group: ["**/dev/**", "**/test/**"],
                message: "app/ must not import from dev/ or test/.",
              },
            ],
          },
        ],
      },
    },
    {
      files: ["**/*.test.ts", "test/**"],
      rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
  ],
};
