// Builds the web app's static assets from the npm packages: compiles the Sass
// and copies the scripts, fonts and images into the package's static folder.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const out = join(root, "src", "wholeplace", "web", "static", "dist");
const modules = join(root, "node_modules");

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

execFileSync(
  join(modules, ".bin", "sass"),
  ["--no-source-map", "--style=compressed", "--quiet", "--load-path=" + root,
   join(root, "assets", "app.scss"), join(out, "app.css")],
  { stdio: "inherit" },
);

const copies = [
  ["govuk-frontend/dist/govuk/govuk-frontend.min.js", "govuk-frontend.min.js"],
  ["govuk-frontend/dist/govuk/assets/images", "assets/images"],
  ["govuk-frontend/dist/govuk/assets/manifest.json", "assets/manifest.json"],
  ["@ministryofjustice/frontend/moj/moj-frontend.min.js", "moj-frontend.min.js"],
  ["@ministryofjustice/frontend/moj/assets/images", "assets/images"],
  ["htmx.org/dist/htmx.min.js", "htmx.min.js"],
  ["vega/build/vega.min.js", "vega.min.js"],
  ["vega-lite/build/vega-lite.min.js", "vega-lite.min.js"],
  ["vega-embed/build/vega-embed.min.js", "vega-embed.min.js"],
];
for (const [from, to] of copies) {
  cpSync(join(modules, from), join(out, to), { recursive: true });
}
console.log("built assets in " + out);
