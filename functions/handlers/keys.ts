// Lambda entry: the API key routes.
import { keysApi } from '../api/keys.ts';
import { awsServices } from '../adapters/aws/services.ts';

export const handler = keysApi(await awsServices());
