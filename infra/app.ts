// The CDK app: `npx cdk deploy` deploys the jobs service; `npm run synth` synthesizes it offline.
import { App } from 'aws-cdk-lib';
import { addComplianceChecks } from './checks.ts';
import { JobsStack } from './stack.ts';

const app = new App();
new JobsStack(app, 'JobsService', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  description:
    'Jobs service: container jobs on ECS Fargate, driven by Step Functions, scheduled by EventBridge Scheduler',
  alarmEmail: app.node.tryGetContext('alarmEmail'),
  taskRolePath: app.node.tryGetContext('taskRolePath'),
  linkedSecretArns: app.node.tryGetContext('linkedSecretArns'),
  privateNetwork: app.node.tryGetContext('privateNetwork'),
  launchRate: app.node.tryGetContext('launchRate'),
});
addComplianceChecks(app);
app.synth();
