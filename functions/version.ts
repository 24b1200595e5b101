// The service's version, as package.json says; the health check and the OpenAPI document report it.
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
