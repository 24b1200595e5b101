// An AWS SDK client whose package loads on first use. A function loads at cold start only the clients every
// request needs (DynamoDB; Secrets Manager for the admin key); Step Functions, CloudWatch, ECS and Scheduler
// load on the first call that needs them, so a function does not pay for clients most of its requests skip.
export class LazySdk<Sdk, Client> {
  readonly #load: () => Promise<Sdk>;
  readonly #create: (sdk: Sdk) => Client;
  readonly #client: Client | undefined;
  #loaded: Promise<{ sdk: Sdk; client: Client }> | undefined;

  /** `client`: one made by the caller (tests pass a client they mock); otherwise made from the package. */
  constructor(load: () => Promise<Sdk>, create: (sdk: Sdk) => Client, client?: Client) {
    this.#load = load;
    this.#create = create;
    this.#client = client;
  }

  /** The package (its commands and its error classes) and the client. */
  get(): Promise<{ sdk: Sdk; client: Client }> {
    this.#loaded ??= this.#load().then(
      (sdk) => ({ sdk, client: this.#client ?? this.#create(sdk) }),
      (error: unknown) => {
        this.#loaded = undefined; // a failed import is retried by the next call, not cached
        throw error;
      },
    );
    return this.#loaded;
  }
}
