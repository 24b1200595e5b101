// `jobsctl secrets set|list|get|delete`: the project's secrets. A value is read from standard input, or typed at a
// prompt that does not echo it: never from the command line, where it would stay in the shell's history and in
// every process listing.
import type { Command } from 'commander';
import type { Secret } from '../../client/jobs-client.ts';
import { clientOf, formatOf } from '../context.ts';
import { ago, printJson, table } from '../output.ts';

/** Everything on standard input, without one trailing newline (what `echo` or a here-string adds). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** A line typed at the terminal, not shown as it is typed. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    process.stderr.write(question);
    input.setRawMode(true);
    input.resume();
    let value = '';
    const done = (error?: Error) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (data: Buffer) => {
      for (const char of data.toString('utf8')) {
        if (char === '\r' || char === '\n') return done();
        if (char === '\u0003') return done(new Error('cancelled'));
        if (char === '\u007f') value = value.slice(0, -1);
        else value += char;
      }
    };
    input.on('data', onData);
  });
}

function row(secret: Secret): string[] {
  return [secret.name, String(secret.version), secret.source, secret.used_by.join(',') || '-', ago(secret.updated_at)];
}

export function registerSecretCommands(program: Command): void {
  const secrets = program
    .command('secrets')
    .description("The project's secrets: values go in, only names and versions come out");
  secrets
    .command('set')
    .description('Set a secret (a new version): the value from standard input, or typed at a prompt')
    .argument('<name>', 'letters, digits, _ . -')
    .addHelpText(
      'after',
      '\nExamples:\n  jobsctl secrets set db-password            (prompts, without echo)\n' +
        '  printf %s "$PASSWORD" | jobsctl secrets set db-password\n' +
        '  jobsctl secrets set vendor < token.json     (a JSON value: jobs name one key as vendor#token)',
    )
    .action(async (name: string, _options: unknown, command: Command) => {
      const value = process.stdin.isTTY ? await promptHidden(`value of ${name}: `) : await readStdin();
      if (value === '') throw new Error('no value given: type one at the prompt, or pipe it to standard input');
      const { secret, created } = await clientOf(command).putSecret(name, { value });
      if (formatOf(command) === 'json') return printJson(secret);
      console.log(`secret/${secret.name} ${created ? 'created' : 'updated'} (version ${secret.version})`);
    });
  secrets
    .command('list')
    .description('Every secret of the project: name, version, the jobs that use it')
    .addHelpText('after', '\nExample:\n  jobsctl secrets list')
    .action(async (_options: unknown, command: Command) => {
      const all = await clientOf(command).listSecrets();
      if (formatOf(command) === 'json') return printJson(all);
      if (all.length === 0) return console.log('No secrets yet. Set one with: jobsctl secrets set NAME');
      console.log(table(['name', 'version', 'source', 'used by', 'updated'], all.map(row)));
    });
  secrets
    .command('get')
    .description("A secret's metadata (never its value)")
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      const secret = await clientOf(command).getSecret(name);
      if (formatOf(command) === 'json') return printJson(secret);
      console.log(table(['name', 'version', 'source', 'used by', 'updated'], [row(secret)]));
    });
  secrets
    .command('delete')
    .description('Delete a secret no job uses')
    .argument('<name>')
    .addHelpText('after', '\nExample:\n  jobsctl secrets delete old-token')
    .action(async (name: string, _options: unknown, command: Command) => {
      await clientOf(command).deleteSecret(name);
      if (formatOf(command) !== 'json') console.log(`secret/${name} deleted`);
    });
}
