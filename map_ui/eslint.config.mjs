// ESLint for the browser code in static/: ES modules, no globals of our own.
// Run by .ci/test.sh (make test) as `npx eslint` from map_ui/.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/**"] },
  js.configs.recommended,
  {
    files: ["static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      // Leaflet and its plugins are classic scripts and reached as window.L, never as a bare L
      globals: { ...globals.browser },
    },
    rules: {
      "no-implicit-globals": "error",
      "no-restricted-globals": ["error", "L", "name", "event"],
      // a page's objects are exported from its module (tests import them), never hung on window
      "no-restricted-syntax": ["error", {
        selector: "AssignmentExpression > MemberExpression.left[object.name=/^(window|globalThis|self)$/]",
        message: "No globals: export it from the module instead.",
      }],
      "no-var": "off",
      "eqeqeq": ["error", "always"],
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
    },
  },
  {
    files: ["static/m/sw.js"],
    // a service worker runs alone in its own global scope, as a classic script
    languageOptions: { sourceType: "script", globals: { ...globals.serviceworker } },
    rules: { "no-implicit-globals": "off" },
  },
  {
    files: ["eslint.config.mjs"],
    languageOptions: { sourceType: "module", globals: { ...globals.node } },
  },
];
