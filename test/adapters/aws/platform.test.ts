// The AWS platform builds, for each function, exactly the adapters its declaration names: each from the
// settings the stack gives that function, failing with the variable's name when one is missing, and refusing
// outright what the function does not declare.
import { describe, expect, it } from 'vitest';
import { awsPlatform, ConfigError } from '../../../functions/adapters/aws/platform.ts';
import {
  FUNCTIONS,
  SETTINGS,
  settingsOf,
  type FunctionName,
  type Use,
} from '../../../functions/composition/functions.ts';
import type { Platform } from '../../../functions/composition/platform.ts';
import { composeServices } from '../../../functions/composition/services.ts';

/** Which declared uses let a function build each adapter (any one of them). */
const NEEDS: Record<string, { build: (p: Platform) => unknown; uses: Use[] }> = {
  'job store': { build: (p) => p.jobStore(), uses: ['table:read', 'table:write'] },
  'run store': { build: (p) => p.runStore(), uses: ['table:read', 'table:write'] },
  orchestrator: {
    build: (p) => p.orchestrator(),
    uses: ['executions:start', 'executions:stop', 'executions:describe'],
  },
  'container logs': { build: (p) => p.logs(), uses: ['container-logs:read', 'container-logs:delete'] },
  'container metrics': { build: (p) => p.metrics(), uses: ['container-metrics'] },
  schedules: { build: (p) => p.schedules(), uses: ['schedules'] },
  'task definitions': { build: (p) => p.taskDefinitions(), uses: ['task-definitions'] },
  'deliveries queue': { build: (p) => p.delivery().queue, uses: ['deliveries:enqueue'] },
  'event bus': { build: (p) => p.eventSinks(), uses: ['events:put'] },
  'secret vault': { build: (p) => p.secretVault(), uses: ['secret-values:read', 'secret-values:write'] },
};

/** The environment the stack gives a function: its declared settings (values that look like the real ones). */
function stackEnvironment(name: FunctionName): NodeJS.ProcessEnv {
  return Object.fromEntries(
    [...settingsOf(FUNCTIONS[name].uses), 'AWS_REGION'].map((variable) => [
      variable,
      // The one setting that is a document: the deployment's task networks.
      variable === SETTINGS.taskNetworks
        ? JSON.stringify({ public: { subnets: ['subnet-a'], security_groups: ['sg-a'], assign_public_ip: 'ENABLED' } })
        : `value-of-${variable}`,
    ]),
  );
}

describe('the AWS platform', () => {
  it.each(Object.keys(FUNCTIONS) as FunctionName[])(
    'builds for the %s function what it declares, and refuses the rest',
    (name) => {
      const uses = new Set<Use>(FUNCTIONS[name].uses);
      const platform = awsPlatform(name, stackEnvironment(name));
      for (const [adapter, { build, uses: any }] of Object.entries(NEEDS)) {
        if (any.some((use) => uses.has(use))) expect(build(platform), adapter).toBeTruthy();
        else expect(() => build(platform), adapter).toThrow(ConfigError);
      }
    },
  );

  it('names the missing variable when a declared setting is absent', () => {
    const env = stackEnvironment('runs');
    delete env.JOBS_STATE_MACHINE_ARN;
    expect(() => awsPlatform('runs', env).orchestrator()).toThrow(
      new ConfigError('environment variable JOBS_STATE_MACHINE_ARN is required by the runs function'),
    );
  });

  it('says which declaration to change when a function reaches for what it did not declare', () => {
    expect(() => awsPlatform('logs', stackEnvironment('logs')).orchestrator()).toThrow(
      /the logs function declares no use that needs JOBS_STATE_MACHINE_ARN/,
    );
  });

  it('lets the jobs function check secret names without building the vault it has no access to', () => {
    const services = composeServices(awsPlatform('jobs', stackEnvironment('jobs')));
    expect(() => services.secrets()).not.toThrow();
    expect(() => services.platform.secretVault()).toThrow(ConfigError);
  });

  it('reads nothing until an adapter is first built', () => {
    expect(() => awsPlatform('jobs', {})).not.toThrow();
  });
});
