/** @type {import('@types/eslint').Linter.BaseConfig} */
module.exports = {
  root: true,
  extends: ["@remix-run/eslint-config", "@remix-run/eslint-config/node", "prettier"],
  globals: { shopify: "readonly" },
  ignorePatterns: ["build/", "node_modules/", "extensions/**/assets/", "test-results/"],
  rules: {
    "@typescript-eslint/no-explicit-any": "error",
  },
  overrides: [
    {
      files: ["**/*.test.ts", "test/**"],
      rules: { "@typescript-eslint/no-explicit-any": "off" },
    },
  ],
};
