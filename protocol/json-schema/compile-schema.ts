/**
 * A JSON Schema (draft-07) subset compiled once into closures: every request body of the servers
 * and every GP SERAM message is validated on each request, and an interpreting validator re-reads
 * the schema each time (it cost the servers ~15 % of their CPU per provisioning flow). The subset
 * is what cardlab's schemas and gpseram.yaml use; any other keyword is refused at compile time, so
 * nothing is silently not checked. Verdicts, first-error paths and messages follow the `jsonschema`
 * package (the test compares the two on generated values).
 */

/** A schema as this compiler reads it (draft-07 JSON). */
export type Schema = { [keyword: string]: unknown } | boolean;

/** The first reason a value does not conform. */
export interface SchemaFault {
  /** Where, from the root: property names and array indices. */
  path: Array<string | number>;
  keyword: string;
  /** The missing or extra property for `required` / `additionalProperties`. */
  argument?: string;
  /** Human text in the `jsonschema` package's words (`does not match pattern "…"`). */
  message: string;
}

/** Returns the first fault, or undefined when the value conforms. */
export type CompiledSchema = (value: unknown) => SchemaFault | undefined;

type Check = (value: unknown, path: Array<string | number>) => SchemaFault | undefined;

/** Keywords that only annotate (OpenAPI's among them) and check nothing. */
const ANNOTATIONS = new Set(['description', 'title', 'example', 'examples', 'default', 'discriminator', 'nullable', '$comment', 'readOnly', 'writeOnly', 'deprecated']);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const TYPES: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  integer: (v) => typeof v === 'number' && Number.isFinite(v) && v % 1 === 0,
  boolean: (v) => typeof v === 'boolean',
  object: isObject,
  array: Array.isArray,
  null: (v) => v === null,
};

/** Length in code points (JSON Schema counts characters, not UTF-16 units). */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

const fault = (path: Array<string | number>, keyword: string, message: string, argument?: string): SchemaFault => ({ path: [...path], keyword, message, ...(argument !== undefined ? { argument } : {}) });

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b));
}

class Compiler {
  readonly #byRef = new Map<string, Check>();
  constructor(readonly definitions: Record<string, Schema>) {}

  ref(ref: string): Check {
    const m = /^#\/(?:definitions|components\/schemas)\/([^/]+)$/.exec(ref);
    if (!m) throw new Error(`unsupported $ref ${ref}`);
    const name = decodeURIComponent(m[1]!);
    let check = this.#byRef.get(name);
    if (check === undefined) {
      const target = this.definitions[name];
      if (target === undefined) throw new Error(`$ref to unknown schema ${name}`);
      // Placeholder first: a recursive schema reaches itself through its own reference.
      let compiled: Check | undefined;
      this.#byRef.set(name, (v, p) => compiled!(v, p));
      compiled = this.compile(target);
      check = compiled;
      this.#byRef.set(name, check);
    }
    return check;
  }

  compile(schema: Schema): Check {
    if (schema === true) return () => undefined;
    if (schema === false) return (_v, p) => fault(p, 'type', 'is not of a type(s) ');
    // draft-07: beside $ref every other keyword is ignored.
    if (typeof schema['$ref'] === 'string') return this.ref(schema['$ref']);
    const checks: Check[] = [];
    for (const [keyword, arg] of Object.entries(schema)) {
      const check = this.keyword(keyword, arg, schema);
      if (check) checks.push(check);
    }
    if (checks.length === 1) return checks[0]!;
    return (value, path) => {
      for (const check of checks) {
        const f = check(value, path);
        if (f) return f;
      }
      return undefined;
    };
  }

  keyword(keyword: string, arg: unknown, schema: Record<string, unknown>): Check | undefined {
    switch (keyword) {
      case 'type': {
        const names = (Array.isArray(arg) ? arg : [arg]) as string[];
        const tests = names.map((n) => {
          const t = TYPES[n];
          if (!t) throw new Error(`unknown type ${n}`);
          return t;
        });
        const message = `is not of a type(s) ${names.join(',')}`;
        if (tests.length === 1) {
          const t = tests[0]!;
          return (v, p) => (v === undefined || t(v) ? undefined : fault(p, 'type', message));
        }
        return (v, p) => (v === undefined || tests.some((t) => t(v)) ? undefined : fault(p, 'type', message));
      }
      case 'properties': {
        const entries = Object.entries(arg as Record<string, Schema>).map(([name, s]) => [name, this.compile(s)] as const);
        return (v, p) => {
          if (!isObject(v)) return undefined;
          for (const [name, check] of entries) {
            if (!Object.hasOwn(v, name)) continue;
            p.push(name);
            const f = check(v[name], p);
            p.pop();
            if (f) return f;
          }
          return undefined;
        };
      }
      case 'required': {
        const names = arg as string[];
        return (v, p) => {
          if (!isObject(v)) return undefined;
          for (const name of names) if (!Object.hasOwn(v, name)) return fault(p, 'required', `requires property ${JSON.stringify(name)}`, name);
          return undefined;
        };
      }
      case 'additionalProperties': {
        const known = new Set(Object.keys((schema['properties'] as object | undefined) ?? {}));
        if (arg === false) {
          return (v, p) => {
            if (!isObject(v)) return undefined;
            for (const name in v) if (!known.has(name)) return fault(p, 'additionalProperties', `is not allowed to have the additional property ${JSON.stringify(name)}`, name);
            return undefined;
          };
        }
        const check = this.compile(arg as Schema);
        return (v, p) => {
          if (!isObject(v)) return undefined;
          for (const name in v) {
            if (known.has(name)) continue;
            p.push(name);
            const f = check(v[name], p);
            p.pop();
            if (f) return f;
          }
          return undefined;
        };
      }
      case 'items': {
        if (Array.isArray(arg)) throw new Error('tuple items are not supported');
        const check = this.compile(arg as Schema);
        return (v, p) => {
          if (!Array.isArray(v)) return undefined;
          for (let i = 0; i < v.length; i++) {
            p.push(i);
            const f = check(v[i], p);
            p.pop();
            if (f) return f;
          }
          return undefined;
        };
      }
      case 'minItems':
      case 'maxItems': {
        const n = arg as number;
        const min = keyword === 'minItems';
        const message = `does not meet ${min ? 'minimum' : 'maximum'} length of ${n}`;
        return (v, p) => (Array.isArray(v) && (min ? v.length < n : v.length > n) ? fault(p, keyword, message) : undefined);
      }
      case 'pattern': {
        let re: RegExp;
        try {
          re = new RegExp(arg as string, 'u');
        } catch {
          re = new RegExp(arg as string);
        }
        const message = `does not match pattern ${JSON.stringify(String(arg))}`;
        return (v, p) => (typeof v === 'string' && !re.test(v) ? fault(p, 'pattern', message) : undefined);
      }
      case 'minLength': {
        const n = arg as number;
        const message = `does not meet minimum length of ${n}`;
        // A code point is one or two UTF-16 units: count them only where the units leave it open.
        return (v, p) => (typeof v === 'string' && (v.length < n || (v.length < 2 * n && codePoints(v) < n)) ? fault(p, 'minLength', message) : undefined);
      }
      case 'maxLength': {
        const n = arg as number;
        const message = `does not meet maximum length of ${n}`;
        return (v, p) => (typeof v === 'string' && v.length > n && (v.length > 2 * n || codePoints(v) > n) ? fault(p, 'maxLength', message) : undefined);
      }
      case 'minimum': {
        const n = arg as number;
        return (v, p) => (typeof v === 'number' && !(v >= n) ? fault(p, 'minimum', `must be greater than or equal to ${n}`) : undefined);
      }
      case 'maximum': {
        const n = arg as number;
        return (v, p) => (typeof v === 'number' && !(v <= n) ? fault(p, 'maximum', `must be less than or equal to ${n}`) : undefined);
      }
      case 'enum': {
        const values = arg as unknown[];
        const message = `is not one of enum values: ${values.map(String).join(',')}`;
        return (v, p) => (v === undefined || values.some((e) => sameJson(e, v)) ? undefined : fault(p, 'enum', message));
      }
      case 'allOf': {
        const checks = (arg as Schema[]).map((s) => this.compile(s));
        return (v, p) => {
          for (const check of checks) {
            const f = check(v, p);
            if (f) return f;
          }
          return undefined;
        };
      }
      case 'definitions':
        return undefined;
      default:
        if (ANNOTATIONS.has(keyword)) return undefined;
        throw new Error(`JSON Schema keyword '${keyword}' is not supported by compileSchema`);
    }
  }
}

/**
 * Compiles `schema` (with `definitions` for its `$ref`s: `#/definitions/x` or
 * `#/components/schemas/x`) into a validator that returns the first fault. Throws on a keyword it
 * does not implement.
 */
export function compileSchema(schema: Schema, definitions: Record<string, Schema> = {}): CompiledSchema {
  const own = typeof schema === 'object' && isObject(schema['definitions']) ? (schema['definitions'] as Record<string, Schema>) : {};
  const check = new Compiler({ ...definitions, ...own }).compile(schema);
  return (value) => check(value, []);
}
