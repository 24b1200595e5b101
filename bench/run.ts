// `npm run bench [suite …]`: runs the benchmark suites, prints their figures and writes bench/RESULTS.md.
// Every figure is measured in this run, beside its floor or ceiling, on this machine.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deployment } from './deployment.ts';
import { faults } from './faults.ts';
import { hardening } from './hardening.ts';
import { follow } from './follow.ts';
import { cli } from './cli.ts';
import { webhooks } from './webhooks.ts';
import { containers } from './containers.ts';
import { retention } from './retention.ts';
import { tasks } from './tasks.ts';
import { console_ } from './console.ts';
import { foundation } from './foundation.ts';
import { load } from './load.ts';
import { runs } from './runs.ts';
import { metrics } from './metrics.ts';
import { schedules } from './schedules.ts';
import { secrets } from './secrets.ts';
import { admission } from './admission.ts';
import { health } from './health.ts';
import { gitops } from './gitops.ts';
import { chains } from './chains.ts';
import { machine, ROOT } from './lib/processes.ts';
import { renderSection, type Section } from './lib/report.ts';

const SUITES: Record<string, () => Promise<Section>> = {
  foundation,
  runs,
  schedules,
  metrics,
  load,
  faults,
  hardening,
  deployment,
  follow,
  cli,
  webhooks,
  containers,
  retention,
  tasks,
  console: console_,
  secrets,
  admission,
  health,
  gitops,
  chains,
};

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !SUITES[name]);
if (unknown.length > 0) {
  console.error(`unknown suite ${unknown.join(', ')}; suites: ${Object.keys(SUITES).join(', ')}`);
  process.exit(2);
}
const names = requested.length > 0 ? requested : Object.keys(SUITES);
const resultsFile = join(ROOT, 'bench', 'RESULTS.md');
const sections = new Map<string, string>();

// Suites not run this time keep their previous section, so a partial run does not erase figures.
try {
  const previous = readFileSync(resultsFile, 'utf8');
  for (const match of previous.matchAll(/<!-- suite:(\w+) -->\n([\s\S]*?)<!-- \/suite -->/g))
    sections.set(match[1]!, match[2]!);
} catch {
  // first run
}

for (const name of names) {
  console.error(`running ${name} …`);
  const section = await SUITES[name]!();
  const text = `${renderSection(section)}\n\n*Measured ${new Date().toISOString()} on ${machine()}.*\n`;
  console.log(`\n${text}`);
  sections.set(name, text);
}

const body = Object.keys(SUITES)
  .filter((name) => sections.has(name))
  .map((name) => `<!-- suite:${name} -->\n${sections.get(name)}<!-- /suite -->`)
  .join('\n\n');
writeFileSync(resultsFile, `# Benchmark results\n\nWritten by \`npm run bench\`; do not edit by hand.\n\n${body}\n`);
console.error(`wrote ${resultsFile}`);
