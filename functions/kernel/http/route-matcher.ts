import type { HttpMethod, Route } from './route';

/**
 * Matches concrete paths to route templates the way API Gateway does: a literal segment wins over
 * a `{param}` at the same position. Used by the local gateway (to build the proxy event) and by the
 * fallback that answers 404 for unknown paths and 405 for known paths with another method.
 */

export interface PathMatch {
  /** The resource template, e.g. `/v1/orgs/{orgId}` (the proxy event's `resource`). */
  readonly resource: string;
  readonly pathParameters: Record<string, string>;
}

interface Node {
  readonly literals: Map<string, Node>;
  param?: { name: string; node: Node };
  resource?: string;
}

const newNode = (): Node => ({ literals: new Map() });

export class RouteMatcher {
  readonly #root = newNode();
  readonly #methods = new Map<string, Map<HttpMethod, Route>>();

  constructor(routes: readonly Route[]) {
    for (const route of routes) {
      let node = this.#root;
      for (const segment of route.path.split('/').slice(1)) {
        const param = /^\{(.+)\}$/.exec(segment)?.[1];
        if (param) {
          if (node.param && node.param.name !== param) {
            throw new Error(`conflicting parameter names {${node.param.name}} and {${param}} at ${route.path}`);
          }
          node.param ??= { name: param, node: newNode() };
          node = node.param.node;
        } else {
          let next = node.literals.get(segment);
          if (!next) node.literals.set(segment, (next = newNode()));
          node = next;
        }
      }
      node.resource = route.path;
      const methods = this.#methods.get(route.path) ?? new Map<HttpMethod, Route>();
      methods.set(route.method, route);
      this.#methods.set(route.path, methods);
    }
  }

  /** The resource a concrete path belongs to, or undefined (404). */
  match(path: string): PathMatch | undefined {
    if (!path.startsWith('/')) return undefined;
    const segments = path.split('/').slice(1);
    const params: Record<string, string> = {};
    const walk = (node: Node, i: number): string | undefined => {
      if (i === segments.length) return node.resource;
      const segment = segments[i]!;
      if (segment === '') return undefined;
      const literal = node.literals.get(segment);
      if (literal) {
        const found = walk(literal, i + 1);
        if (found) return found;
      }
      if (node.param) {
        const found = walk(node.param.node, i + 1);
        if (found) {
          params[node.param.name] = segment;
          return found;
        }
      }
      return undefined;
    };
    const resource = walk(this.#root, 0);
    return resource ? { resource, pathParameters: params } : undefined;
  }

  /** The route serving `method` on `resource`, if any. */
  route(resource: string, method: string): Route | undefined {
    return this.#methods.get(resource)?.get(method as HttpMethod);
  }

  /** Methods a resource supports, for the 405 `Allow` header. */
  allowedMethods(resource: string): HttpMethod[] {
    return [...(this.#methods.get(resource)?.keys() ?? [])];
  }

  /** Every resource template, for the CDK API and the OpenAPI document. */
  resources(): string[] {
    return [...this.#methods.keys()];
  }
}
