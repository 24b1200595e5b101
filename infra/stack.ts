// The jobs service as one stack: it only composes the constructs, each of which owns one concern.
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Api } from './constructs/api.ts';
import { Store } from './constructs/store.ts';

export class JobsStack extends Stack {
  readonly store: Store;
  readonly api: Api;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    this.store = new Store(this, 'Store');
    this.api = new Api(this, 'Api', { store: this.store });
    new CfnOutput(this, 'AdminKeySecret', {
      value: this.store.adminKey.secretName,
      description: 'aws secretsmanager get-secret-value --secret-id <this> --query SecretString --output text',
    });
  }
}
