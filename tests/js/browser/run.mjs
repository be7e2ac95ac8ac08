// Runs one browser scenario in Debian's chromium through playwright-core and prints its result as
// one line of JSON. Called by tests/browser.py as:
//   node run.mjs <scenario module path> '<JSON parameters>'
// A scenario module exports `default async function (page, params, context)` and returns a
// JSON-serialisable value; its exceptions become {"error": ...} with the page's console beside it,
// so a failing test shows what the page said.
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";

const [scenarioPath, paramsText] = process.argv.slice(2);
const params = JSON.parse(paramsText ?? "{}");
const executablePath = process.env.CHROMIUM;
if (!executablePath) {
  console.log(JSON.stringify({ error: "CHROMIUM is not set" }));
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // root in a container has no user namespace for chromium's sandbox
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
const consoleLines = [];
let outcome;
try {
  const context = await browser.newContext({
    viewport: { width: params.width ?? 1024, height: params.height ?? 768 },
  });
  const page = await context.newPage();
  page.on("console", (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => consoleLines.push(`pageerror: ${error.message}`));
  const scenario = (await import(pathToFileURL(scenarioPath).href)).default;
  outcome = { result: await scenario(page, params, context), console: consoleLines };
} catch (error) {
  outcome = { error: String(error && error.stack ? error.stack : error), console: consoleLines };
} finally {
  await browser.close();
}
console.log(JSON.stringify(outcome));
process.exit(outcome.error ? 1 : 0);
