import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", "dist/", "cdktf.out/", ".local/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ["**/*.ts"],
    rules: {
      // The package root loads 2,000+ modules; only deep imports keep synth fast.
      "no-restricted-imports": [
        "error",
        { paths: [{ name: "@cdktf/provider-aws", message: "Import from @cdktf/provider-aws/lib/<resource> instead." }] },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: {
      globals: { module: "writable", require: "readonly", process: "readonly", __dirname: "readonly", console: "readonly" },
    },
    // CommonJS configuration files (jest.config.js) load Node's modules with require.
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
