// Synthesizes the stack once per test file (without bundling: assets are not what these tests look at) and
// answers questions about the template: which function has which IAM statements.
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { readFileSync } from 'node:fs';
import { JobsStack, type JobsStackProps } from '../../infra/stack.ts';

/** The feature flags of cdk.json, so tests look at the template `cdk deploy` deploys. */
export const CDK_CONTEXT = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }
).context;

export function synthesize(props: Omit<JobsStackProps, 'env'> = {}): { stack: JobsStack; template: Template } {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new JobsStack(app, 'TestStack', { env: { account: '123456789012', region: 'eu-west-1' }, ...props });
  return { stack, template: Template.fromStack(stack) };
}

interface Statement {
  Action: string | string[];
  Effect: string;
  Resource: unknown;
}

/** Every IAM statement attached to the role of the function with this logical id, actions sorted. */
export function statementsOf(template: Template, functionLogicalId: string): Statement[] {
  const json = template.toJSON() as { Resources: Record<string, { Type: string; Properties: any }> };
  const fn = json.Resources[functionLogicalId];
  if (!fn) throw new Error(`no resource ${functionLogicalId}`);
  const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
  return Object.values(json.Resources)
    .filter(
      (r) => r.Type === 'AWS::IAM::Policy' && r.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId),
    )
    .flatMap((r) => r.Properties.PolicyDocument.Statement as Statement[])
    .map((s) => ({ ...s, Action: [s.Action].flat().sort() }));
}

export function actionsOf(template: Template, functionLogicalId: string): string[] {
  return [...new Set(statementsOf(template, functionLogicalId).flatMap((s) => s.Action as string[]))].sort();
}
