// Stateful resources, kept apart from everything that can be replaced: the single table (its keys and indexes
// from the same schema module the local host creates its table from) and the first admin key.
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../../functions/adapters/dynamodb/table.ts';
import { SETTINGS } from '../../functions/composition/functions.ts';
import { acknowledge } from '../checks.ts';

/** DynamoDB actions by what a function does with the table; a function is granted only the ones it uses. */
export const TABLE_ACCESS = {
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  /** Single-item writes and the item actions a TransactWriteItems call is authorized by. */
  write: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
  'batch-delete': ['dynamodb:BatchWriteItem'],
} as const;

export type TableAccess = keyof typeof TABLE_ACCESS;

export class Store extends Construct {
  readonly table: Table;
  readonly adminKey: Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE_SCHEMA.timeToLiveAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      // New images only: the event publisher reads each new event item off it (infra/constructs/events.ts).
      stream: StreamViewType.NEW_IMAGE,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of Object.values(TABLE_SCHEMA.indexes)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
      });
    }
    this.adminKey = new Secret(this, 'AdminKey', {
      description: 'The first admin API key of the jobs service (Authorization: Bearer <this value>)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.adminKey,
      'SMG4',
      'The first admin key is a bootstrap credential that clients hold, not a password between two services a rotation Lambda could ' +
        'update on both ends: operators mint and revoke their own keys through the API and replace this value with put-secret-value',
    );
  }

  /** Points a function at the table and grants exactly the kinds of access it needs. */
  bindTable(fn: LambdaFunction, ...access: TableAccess[]): void {
    fn.addEnvironment(SETTINGS.table, this.table.tableName);
    // The table and, for reads, each of its indexes by name: no index/* wildcard.
    const indexes = access.includes('read')
      ? Object.values(TABLE_SCHEMA.indexes).map((index) => `${this.table.tableArn}/index/${index.name}`)
      : [];
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: access.flatMap((kind) => TABLE_ACCESS[kind]),
        resources: [this.table.tableArn, ...indexes],
      }),
    );
  }

  /** Functions that authenticate requests read the admin key once per cold start. */
  bindAdminKey(fn: LambdaFunction & IGrantable): void {
    fn.addEnvironment(SETTINGS.adminKey, this.adminKey.secretArn);
    this.adminKey.grantRead(fn);
  }
}
