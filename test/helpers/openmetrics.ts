// A parser of the OpenMetrics text exposition (the parts the service writes), strict where the format is: every
// line a `# TYPE|HELP|UNIT` of a family or a sample of the family declared last, metric and label names of the
// format's alphabet, quoted label values with its escapes, numeric values, histogram buckets cumulative and
// ending at +Inf equal to _count, and `# EOF` last. It throws, naming the line, on anything else.
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
export interface Family {
  name: string;
  type: string;
  help?: string;
  unit?: string;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"`;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'info', 'stateset', 'gaugehistogram', 'unknown']);
const SUFFIXES: Record<string, string[]> = {
  counter: ['_total', '_created'],
  gauge: [''],
  histogram: ['_bucket', '_sum', '_count', '_created'],
};

export function parseOpenMetrics(text: string): Map<string, Family> {
  if (!text.endsWith('# EOF\n')) throw new Error('the exposition does not end with "# EOF"');
  const families = new Map<string, Family>();
  let current: Family | null = null;
  const lines = text.slice(0, -'# EOF\n'.length).split('\n');
  lines.pop(); // after the last newline
  lines.forEach((line, i) => {
    const where = `line ${i + 1} '${line}'`;
    const meta = new RegExp(`^# (TYPE|HELP|UNIT) (${NAME}) ?(.*)$`).exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type`);
        if (families.has(name)) throw new Error(`${where}: family declared twice`);
        current = { name, type: rest, samples: [] };
        families.set(name, current);
      } else if (!current || current.name !== name) throw new Error(`${where}: ${kind} of a family not declared last`);
      else if (kind === 'HELP') current.help = rest;
      else current.unit = rest;
      return;
    }
    const sample = new RegExp(`^(${NAME})(\\{((?:${LABEL},?)*)\\})? (\\S+)$`).exec(line);
    if (!sample || !current) throw new Error(`${where}: not a sample of a declared family`);
    const family: Family = current;
    const name = sample[1] as string;
    const suffix = name.slice(family.name.length);
    if (!name.startsWith(family.name) || !(SUFFIXES[family.type] ?? ['']).includes(suffix))
      throw new Error(`${where}: not a sample of family ${family.name} (${family.type})`);
    const labels: Record<string, string> = {};
    for (const match of (sample[3] ?? '').matchAll(new RegExp(LABEL, 'g')))
      labels[match[1] as string] = (match[2] as string).replace(/\\(["\\n])/g, (_, c: string) =>
        c === 'n' ? '\n' : c,
      );
    const raw = sample[sample.length - 1] as string;
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    if (Number.isNaN(value) && raw !== 'NaN') throw new Error(`${where}: value is not a number`);
    family.samples.push({ name, labels, value });
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function checkHistogram(family: Family): void {
  const series = new Map<string, Sample[]>();
  for (const sample of family.samples) {
    const { le: _le, ...rest } = sample.labels;
    const id = JSON.stringify(rest);
    series.set(id, [...(series.get(id) ?? []), sample]);
  }
  for (const [id, samples] of series) {
    const buckets = samples.filter((s) => s.name.endsWith('_bucket'));
    const count = samples.find((s) => s.name.endsWith('_count'));
    if (buckets.at(-1)?.labels.le !== '+Inf') throw new Error(`${family.name}${id}: buckets do not end at +Inf`);
    buckets.forEach((bucket, i) => {
      if (i > 0 && bucket.value < buckets[i - 1]!.value) throw new Error(`${family.name}${id}: buckets not cumulative`);
      if (i > 0 && Number(bucket.labels.le) <= Number(buckets[i - 1]!.labels.le))
        throw new Error(`${family.name}${id}: bounds not increasing`);
    });
    if (!count || count.value !== buckets.at(-1)!.value)
      throw new Error(`${family.name}${id}: _count is not the +Inf bucket`);
  }
}

/** The value of a family's sample with exactly these labels (among others), or undefined. */
export function sampleValue(
  families: Map<string, Family>,
  sample: string,
  labels: Record<string, string>,
): number | undefined {
  const family = [...families.values()].find(
    (f) => sample.startsWith(f.name) && f.samples.some((s) => s.name === sample),
  );
  return family?.samples.find(
    (s) => s.name === sample && Object.entries(labels).every(([name, value]) => s.labels[name] === value),
  )?.value;
}
