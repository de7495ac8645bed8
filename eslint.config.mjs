import tseslint from "typescript-eslint";
import pulumi from "@pulumi/eslint-plugin";

export default tseslint.config(
  { ignores: ["bin/", "node_modules/", ".venv/", "coverage/", "test/e2e/.cache/", "test/vm/.cache/", "*.js", "*.mjs", "components/index.js"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    // The Pulumi rules read types: an Output in a plain template literal is a bug they catch.
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { "@pulumi": pulumi },
    rules: {
      "@pulumi/no-output-in-template-literal": "error",
      "@pulumi/no-output-instance-in-template-literal": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
);
