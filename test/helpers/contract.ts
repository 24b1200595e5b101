// Checks a response against the OpenAPI document the service serves: the status must be one the operation
// documents, every required documented header must be there and valid, and the body must validate against the
// documented schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses it). Every test client goes through here, so a
// response that drifts from the document fails the test that received it.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { inject } from 'vitest';
import { appendFileSync } from 'node:fs';

interface Operation {
  responses: Record<
    string,
    { headers?: Record<string, HeaderObject | { $ref: string }>; content?: Record<string, { schema: unknown }> }
  >;
}
interface HeaderObject {
  required?: boolean;
  schema: unknown;
}
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { headers?: Record<string, HeaderObject> };
};

const DOCUMENT_ID = 'openapi.json';

class Contract {
  readonly #document: Document;
  readonly #ajv: Ajv2020;
  readonly #templates: Array<{ template: string; pattern: RegExp }>;
  readonly #compiled = new Map<string, ValidateFunction>();

  constructor(document: Document) {
    this.#document = document;
    // Not strict: OpenAPI adds keywords of its own (example, discriminator) that JSON Schema does not know.
    this.#ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(this.#ajv);
    this.#ajv.addSchema(document as object, DOCUMENT_ID);
    this.#templates = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{\w+\}/g, '[^/]+')}$`),
    }));
  }

  #validator(pointer: string[]): ValidateFunction {
    const ref = `${DOCUMENT_ID}#/${pointer.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/')}`;
    let validate = this.#compiled.get(ref);
    if (!validate) {
      validate = this.#ajv.compile({ $ref: ref });
      this.#compiled.set(ref, validate);
    }
    return validate;
  }

  #header(header: HeaderObject | { $ref: string }): HeaderObject {
    if ('$ref' in header)
      return this.#document.components.headers?.[header.$ref.split('/').at(-1) as string] as HeaderObject;
    return header;
  }

  /** Throws, saying what is wrong, when the response is not one the document promises for this request. */
  check(method: string, path: string, status: number, headers: Headers, body: unknown): void {
    const where = `${method} ${path} → ${status}`;
    // A path with malformed percent-encoding names no resource, whatever its shape.
    const template = wellFormed(path) ? this.#templates.find((t) => t.pattern.test(path))?.template : undefined;
    const item = template ? this.#document.paths[template] : undefined;
    const lower = method.toLowerCase();
    // A method the path does not have is answered 405 (documented on each of the path's operations); a path the
    // document does not have is the $default route's 404, an error envelope.
    let operationKey: string | undefined = item?.[lower] ? lower : undefined;
    if (!operationKey && item) {
      if (status !== 405) throw new Error(`${where}: the path has no ${method} operation, so only 405 is documented`);
      operationKey = Object.keys(item)[0];
    }
    if (!template || !operationKey) {
      if (status !== 404) throw new Error(`${where}: no documented path matches, so only 404 is possible`);
      this.#body(['components', 'schemas', 'Error'], body, where);
      return;
    }
    const operation = (item as Record<string, Operation>)[operationKey] as Operation;
    const response = operation.responses[String(status)];
    if (!response)
      throw new Error(
        `${where}: status ${status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`,
      );
    for (const [name, declared] of Object.entries(response.headers ?? {})) {
      const header = this.#header(declared);
      const value = headers.get(name);
      if (value === null) {
        if (header.required) throw new Error(`${where}: the documented header ${name} is missing`);
        continue;
      }
      const schema = header.schema as { type?: string };
      const parsed = schema.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
      const validate = this.#ajv.compile(header.schema as object);
      if (!validate(parsed))
        throw new Error(`${where}: header ${name}: '${value}' ${this.#ajv.errorsText(validate.errors)}`);
    }
    if (method === 'HEAD') return;
    const media = Object.keys(response.content ?? {})[0];
    if (!media) return;
    const type = headers.get('content-type') ?? '';
    if (!type.startsWith(media)) throw new Error(`${where}: content-type '${type}', documented ${media}`);
    this.#body(['paths', template, operationKey, 'responses', String(status), 'content', media, 'schema'], body, where);
    // An error names its field once: in `field`, not again at the start of its message.
    for (const error of (body as { errors?: Array<{ field: string; message: string }> } | null)?.errors ?? []) {
      if (error.message.startsWith(`${error.field}:`) || error.message.startsWith(`${error.field} `)) {
        throw new Error(`${where}: errors[] names its field '${error.field}' again in its message: '${error.message}'`);
      }
    }
  }

  #body(pointer: string[], body: unknown, where: string): void {
    const validate = this.#validator(pointer);
    if (!validate(body)) {
      throw new Error(
        `${where}: the body does not match the document: ${this.#ajv.errorsText(validate.errors, { dataVar: 'body' })}\n${JSON.stringify(body).slice(0, 600)}`,
      );
    }
  }
}

function wellFormed(path: string): boolean {
  try {
    decodeURIComponent(path);
    return true;
  } catch {
    return false;
  }
}

const contracts = new Map<string, Promise<Contract>>();
let validated = 0;

/** The contract of the service at `baseUrl`, read from its own /v1/openapi.json once. */
function contractOf(baseUrl: string): Promise<Contract> {
  let contract = contracts.get(baseUrl);
  if (!contract) {
    contract = fetch(`${baseUrl}/v1/openapi.json`).then(
      async (response) => new Contract((await response.json()) as Document),
    );
    contracts.set(baseUrl, contract);
  }
  return contract;
}

export async function checkResponse(
  baseUrl: string,
  method: string,
  path: string,
  status: number,
  headers: Headers,
  body: unknown,
): Promise<void> {
  const contract = await contractOf(baseUrl);
  contract.check(method, path.split('?')[0] as string, status, headers, body);
  validated++;
}

/** Adds this file's count to the run's tally (the global setup prints the total). */
export function recordValidatedCount(): void {
  if (validated === 0) return;
  appendFileSync(inject('contractTally'), `${validated}\n`);
  validated = 0;
}
