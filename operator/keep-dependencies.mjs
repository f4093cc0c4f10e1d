// Used by operator/Dockerfile: cuts package.json down to the named dependencies, so that `npm install` installs
// those and what they need, each at the version package-lock.json pins, and nothing else (no trainer packages).
// Usage: node keep-dependencies.mjs NAME...   (in the directory holding package.json and package-lock.json)
import { readFileSync, writeFileSync } from "node:fs";

const keep = process.argv.slice(2);
const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const fail = (message) => {
  console.error(`keep-dependencies: ${message}`);
  process.exit(1);
};
if (!keep.length) fail("name the dependencies to keep");
const missing = keep.filter((name) => !pkg.dependencies?.[name]);
if (missing.length) fail(`not in package.json's dependencies: ${missing.join(", ")}`);
// An override such as "undici": "$undici" refers to a dependency: dropping that one would fail the install later.
for (const [name, value] of Object.entries(pkg.overrides ?? {})) {
  if (typeof value === "string" && value.startsWith("$") && !keep.includes(value.slice(1))) fail(`overrides.${name} refers to ${value}, which is not kept`);
}
pkg.dependencies = Object.fromEntries(keep.map((name) => [name, pkg.dependencies[name]]));
delete pkg.devDependencies;
delete pkg.optionalDependencies;
writeFileSync("package.json", `${JSON.stringify(pkg, null, 2)}\n`);
