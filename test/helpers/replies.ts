// The type of a reply's `data` for a method and a request path, read from the route table the service itself is
// built from: a test that asks `GET …/jobs/${id}/runs` gets `Run[]` without naming it, and a field the document
// does not promise is a type error. A path the compiler only knows as `string` gets `unknown`.
import type { z } from 'zod';
import type { routes } from '../../functions/api/routes.ts';

type Routes = typeof routes;
type Name = keyof Routes;

/** A path template with each `{param}` as a string hole: `/v1/keys/{key_id}` → `/v1/keys/${string}`. */
type Holes<T extends string> = T extends `${infer Head}{${string}}${infer Tail}` ? `${Head}${string}${Holes<Tail>}` : T;
type Template<N extends Name> = Holes<Routes[N]['path']>;
type WithoutQuery<P extends string> = P extends `${infer Path}?${string}` ? Path : P;

/** Every route the request could be: a hole matches any text, slashes included. */
type Candidates<M extends string, P extends string> = {
  [N in Name]: M extends Routes[N]['method'] ? (WithoutQuery<P> extends Template<N> ? N : never) : never;
}[Name];

/** Of the candidates, those no other candidate narrows (`…/jobs/${string}/runs` narrows `…/jobs/${string}`). */
type MostSpecific<N extends Name, All extends Name = N> = N extends Name
  ? [
      Exclude<All, N> extends infer Other
        ? Other extends Name
          ? Template<Other> extends Template<N>
            ? Other
            : never
          : never
        : never,
    ] extends [never]
    ? N
    : never
  : never;

type DataOf<N extends Name> = Routes[N] extends { list: true }
  ? z.output<Routes[N]['response']>[]
  : z.output<Routes[N]['response']>;

export type ReplyData<M extends string, P extends string> = string extends P
  ? unknown
  : [MostSpecific<Candidates<M, P>>] extends [never]
    ? unknown
    : DataOf<MostSpecific<Candidates<M, P>>>;
