// Each Lambda function's composition builds from the AWS platform with exactly the settings the stack gives it:
// nothing it serves reaches for an adapter it did not declare.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { awsPlatform } from '../../functions/adapters/aws/platform.ts';
import { HTTP_GROUPS } from '../../functions/api/routes.ts';
import { FUNCTIONS, settingsOf, type FunctionName } from '../../functions/composition/functions.ts';
import { httpHandler } from '../../functions/composition/http.ts';
import { composeServices } from '../../functions/composition/services.ts';

const secrets = mockClient(SecretsManagerClient);
const stackEnvironment = (name: FunctionName) =>
  Object.fromEntries(
    [...settingsOf(FUNCTIONS[name].uses), 'AWS_REGION'].map((variable) => [variable, `value-of-${variable}`]),
  );

describe('the composition of each function', () => {
  it.each(HTTP_GROUPS.filter((group) => group !== 'fallback'))(
    'builds the %s routes from the settings the stack gives that function',
    async (group) => {
      secrets.reset();
      secrets.on(GetSecretValueCommand).resolves({ SecretString: 'the-admin-key' });
      const handler = await httpHandler(group, composeServices(awsPlatform(group, stackEnvironment(group))));
      expect(typeof handler).toBe('function');
      expect(secrets.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
        { SecretId: 'value-of-JOBS_ADMIN_KEY_SECRET_ARN' },
      ]);
    },
  );

  it('builds what the state machine, the events and the scheduler call from their own settings', () => {
    const services = (name: FunctionName) => composeServices(awsPlatform(name, stackEnvironment(name)));
    expect(services('run-state').runLifecycle()).toBeTruthy();
    expect(services('ecs-events').runLifecycle()).toBeTruthy();
    expect(services('reconciler').reconciler()).toBeTruthy();
    expect(services('scheduled-trigger').scheduledTrigger()).toBeTruthy();
  });
});
