// cdk-nag's AwsSolutions pack over the stack exactly as the CDK app synthesizes it: no finding may be left
// unacknowledged, every acknowledgment says why, and the checks do fail on a finding nobody acknowledged.
import { App, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addComplianceChecks } from '../../infra/checks.ts';
import { JobsStack } from '../../infra/stack.ts';
import { CDK_CONTEXT } from './stack-helpers.ts';

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

function checkedApp(): { app: App; stack: JobsStack; outdir: string } {
  const outdir = mkdtempSync(join(tmpdir(), 'jobs-nag-'));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new JobsStack(app, 'NagStack', { env: { account: '123456789012', region: 'eu-west-1' } });
  addComplianceChecks(app);
  return { app, stack, outdir };
}

/** The findings of the synthesis report, as `rule at construct path`. */
function findings(outdir: string): string[] {
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: Array<{
      violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }>;
    }>;
  };
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} at ${c.constructPath}`)),
  );
}

function synthFindings(app: App, outdir: string): string[] {
  try {
    app.synth();
    return [];
  } catch (error) {
    if ((error as Error).name !== 'ValidationFailed') throw error;
    return findings(outdir);
  }
}

describe('AwsSolutions checks', () => {
  it('find nothing unacknowledged in the stack', () => {
    const { app, outdir } = checkedApp();
    expect(synthFindings(app, outdir)).toEqual([]);
  });

  it('are acknowledged only for the known exceptions, each with its reason', () => {
    const { app } = checkedApp();
    const acknowledged = app.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY),
      )
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>))
      .filter(([rule]) => rule.includes('AwsSolutions-'));
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThan(30);
    const rules = new Set(acknowledged.map(([rule]) => rule.replace(/^.*AwsSolutions-/, '').replace(/\[.*$/, '')));
    // Authentication in the functions, wildcards the services require, the bootstrap key, the queue that is a DLQ,
    // and the console's static files: no geo restriction, WAF or access log, the default certificate, no bucket log.
    expect([...rules].sort()).toEqual(['APIG4', 'CFR1', 'CFR2', 'CFR3', 'CFR4', 'IAM5', 'S1', 'SMG4', 'SQS3']);
  });

  it('fail the synthesis on a finding nobody acknowledged', () => {
    const { app, stack, outdir } = checkedApp();
    stack.api.functions.fallback.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::some-bucket/*'] }),
    );
    expect(synthFindings(app, outdir)).toEqual([
      'AwsSolutions-IAM5[Resource::arn:aws:s3:::some-bucket/*] at NagStack/Api/FallbackFunctionRole/DefaultPolicy/Resource',
    ]);
  });
});
