// Runs the witness locally under Miniflare (workerd), with Durable Object
// state persisted to a directory, for tests and for trying it out:
//   node dev.mjs --port 8787 --persist ./.state --credentials creds.json
// It reads main, compatibility_date and [vars] from wrangler.toml, so the
// local run and the deployment share one configuration.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Miniflare } from "miniflare";

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    port: { type: "string", default: "8787" },
    persist: { type: "string" },
    credentials: { type: "string" },
  },
});
if (!args.persist || !args.credentials) {
  console.error("usage: node dev.mjs --persist DIR --credentials FILE.json [--port N]");
  process.exit(2);
}

// The subset of TOML wrangler.toml uses at top level and in [vars].
function wranglerConfig(text) {
  const top = {};
  const vars = {};
  let section = "";
  for (const line of text.split("\n")) {
    const s = line.replace(/#.*$/, "").trim();
    const header = s.match(/^\[+([^\]]+)\]+$/);
    if (header) section = header[1];
    const kv = s.match(/^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"$/);
    if (kv && section === "") top[kv[1]] = kv[2];
    if (kv && section === "vars") vars[kv[1]] = kv[2];
  }
  return { ...top, vars };
}

const cfg = wranglerConfig(readFileSync(resolve(here, "wrangler.toml"), "utf8"));
const mf = new Miniflare({
  modules: true,
  modulesRules: [{ type: "ESModule", include: ["**/*.js"] }],
  scriptPath: resolve(here, cfg.main),
  compatibilityDate: cfg.compatibility_date,
  bindings: { ...cfg.vars, CREDENTIALS: readFileSync(args.credentials, "utf8") },
  durableObjects: { LEASES: { className: "Lease", useSQLite: true } },
  durableObjectsPersist: resolve(args.persist),
  host: "127.0.0.1",
  port: Number(args.port),
});
const url = await mf.ready;
console.log(`listening ${url.href}`);

const stop = async () => {
  await mf.dispose();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
