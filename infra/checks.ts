// The compliance checks every synthesis runs: cdk-nag's AwsSolutions pack. A finding fails `cdk synth` and
// `cdk deploy` unless it is acknowledged on the construct it concerns, with the reason it is right there.
import { Stack, Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
// How cdk-nag names a wildcard finding after the resource it is on; used so an acknowledgment names the exact
// resource granted, and a new wildcard anywhere else is still reported.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

export function addComplianceChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/** Acknowledges an AwsSolutions rule (e.g. `SQS3`) on a construct and everything in it. */
export function acknowledge(scope: IConstruct, rule: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions-${rule}`, reason });
}

/** Acknowledges one wildcard resource in the policies of this principal (a role, or what contains it). */
export function acknowledgeWildcard(principal: IConstruct, resource: string, reason: string): void {
  acknowledge(principal, `IAM5[Resource::${flattenCfnReference(Stack.of(principal).resolve(resource))}]`, reason);
}
