/**
 * The part of the Velocity Template Language (VTL 1.7) that API Gateway
 * runs in integration response templates and that the stack's templates
 * use: `#set`, `#if`/`#elseif`/`#else`/`#end` (also as `#{else}`, `#{end}`),
 * `##` comments, references (`$x`, `$!x`, `${x}`, properties, method calls),
 * `!`, `&&`, `||`, comparisons and `+`/`-`, string, number and boolean
 * literals; `$context` (with `responseOverride.status` and
 * `responseOverride.header.*` to set), `$input` (`body`, `params()`,
 * `params(x)`, `path(x)`, `json(x)`), `$util.escapeJavaScript` and the
 * Java String methods a template calls on text. Anything else throws
 * VtlError, which API Gateway would also answer with a 500.
 * Sources: API Gateway developer guide, "Variables for data transformations"
 * and "Override your API's request and response parameters and status codes";
 * Apache Velocity 1.7 user guide.
 *
 * Deviations: `$input.params(x)` looks in the headers only (the stack's
 * routes have no path or query parameters), and header lookups ignore case.
 */
import { contextValue, type HeaderLookup, type MappingContext } from './mapping.ts';
import { type Expr, type Node, parseTemplate, type Ref, VtlError } from './vtl-parse.ts';

export { VtlError } from './vtl-parse.ts';

/** What `$input` reads: the integration response body and the method request. */
export interface VtlInput {
  /** The integration response body, as text. */
  readonly body: string;
  /** Method request headers, looked up case-insensitively. */
  readonly header: HeaderLookup;
}

/** The rendered body and what the template overrode. */
export interface VtlResult {
  readonly output: string;
  /** `$context.responseOverride.status`, when set. */
  readonly status: number | undefined;
  /** `$context.responseOverride.header.*`, in the order set. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
}

/** `$context` before its path is complete. */
class ContextPath {
  readonly path: readonly string[];

  constructor(path: readonly string[]) {
    this.path = path;
  }
}

/** The `$input` and `$util` objects. */
const INPUT = Symbol('$input');
const UTIL = Symbol('$util');

/** A Java Map as a template sees it (`get`, `containsKey`). */
class HeaderMap {
  readonly lookup: HeaderLookup;

  constructor(lookup: HeaderLookup) {
    this.lookup = lookup;
  }
}

/** Apache Commons Lang's `escapeJavaScript`, which `$util.escapeJavaScript` is. */
export function escapeJavaScript(text: string): string {
  const named: Record<string, string> = {
    "'": "\\'",
    '"': '\\"',
    '\\': '\\\\',
    '/': '\\/',
    '\b': '\\b',
    '\n': '\\n',
    '\t': '\\t',
    '\f': '\\f',
    '\r': '\\r',
  };
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    const code = text.charCodeAt(i);
    out +=
      named[ch] ??
      (code < 32 || code > 0x7f ? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}` : ch);
  }
  return out;
}

/** A Java replacement string (`$1`, `\$`) as a JavaScript one. */
function jsReplacement(java: string): string {
  return java.replace(/\\(.)|\$(\d)|\$/g, (_, escaped?: string, group?: string) =>
    escaped !== undefined
      ? escaped === '$'
        ? '$$'
        : escaped
      : group !== undefined
        ? `$${group}`
        : '$$',
  );
}

function jsonPath(body: string, path: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return null;
  }
  const steps = /^\$((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\['[^']*'\])*)$/.exec(path);
  if (steps === null) throw new VtlError(`unsupported JSONPath ${JSON.stringify(path)}`);
  for (const [, name, index, quoted] of (steps[1] as string).matchAll(
    /\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\['([^']*)'\]/g,
  )) {
    if (value === null || typeof value !== 'object') return null;
    value = (value as Record<string, unknown>)[name ?? quoted ?? (index as string)];
  }
  return value === undefined ? null : value;
}

function stringMethod(text: string, name: string, args: readonly unknown[]): unknown {
  const [a, b] = args;
  switch (name) {
    case 'length':
      return text.length;
    case 'isEmpty':
      return text.length === 0;
    case 'matches':
      return new RegExp(`^(?:${String(a)})$`).test(text);
    case 'replaceAll':
      return text.replace(new RegExp(String(a), 'g'), jsReplacement(String(b)));
    case 'substring':
      return text.substring(Number(a), b === undefined ? undefined : Number(b));
    case 'contains':
      return text.includes(String(a));
    case 'equals':
      return text === a;
    case 'toLowerCase':
      return text.toLowerCase();
    case 'toUpperCase':
      return text.toUpperCase();
    case 'trim':
      return text.trim();
    default:
      throw new VtlError(`unsupported String method ${name}`);
  }
}

/** Velocity's truth: null and false are false, everything else true. */
function truthy(value: unknown): boolean {
  return value !== null && value !== undefined && value !== false;
}

function compare(op: string, left: unknown, right: unknown): boolean {
  const absent = (v: unknown) => v === null || v === undefined;
  if (op === '==' || op === '!=') {
    const equal =
      absent(left) || absent(right)
        ? absent(left) && absent(right)
        : typeof left === 'number' && typeof right === 'number'
          ? left === right
          : String(left) === String(right);
    return op === '==' ? equal : !equal;
  }
  if (typeof left !== 'number' || typeof right !== 'number') return false;
  return op === '<'
    ? left < right
    : op === '<='
      ? left <= right
      : op === '>'
        ? left > right
        : left >= right;
}

/** Evaluates one parsed template against one request and integration response. */
class Evaluator {
  readonly variables = new Map<string, unknown>();
  status: number | undefined;
  readonly headers: Array<[string, string]> = [];

  private readonly context: MappingContext;
  private readonly input: VtlInput;

  constructor(context: MappingContext, input: VtlInput) {
    this.context = context;
    this.input = input;
  }

  render(nodes: readonly Node[]): string {
    let out = '';
    for (const node of nodes) {
      if (node.kind === 'text') out += node.text;
      else if (node.kind === 'ref') {
        const value = this.value(node.ref);
        out +=
          value === null || value === undefined
            ? node.ref.quiet
              ? ''
              : node.ref.source
            : this.text(value);
      } else if (node.kind === 'set') this.assign(node.target, this.evaluate(node.value));
      else {
        const branch = node.branches.find((b) => truthy(this.evaluate(b.test)));
        out += this.render(branch === undefined ? node.otherwise : branch.body);
      }
    }
    return out;
  }

  text(value: unknown): string {
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }

  evaluate(expr: Expr): unknown {
    switch (expr.kind) {
      case 'literal':
        return expr.value;
      case 'ref':
        return this.value(expr.ref);
      case 'not':
        return !truthy(this.evaluate(expr.operand));
      case 'binary': {
        if (expr.op === '&&')
          return truthy(this.evaluate(expr.left)) && truthy(this.evaluate(expr.right));
        if (expr.op === '||')
          return truthy(this.evaluate(expr.left)) || truthy(this.evaluate(expr.right));
        const left = this.evaluate(expr.left);
        const right = this.evaluate(expr.right);
        if (expr.op === '+' || expr.op === '-') {
          if (typeof left === 'number' && typeof right === 'number') {
            return expr.op === '+' ? left + right : left - right;
          }
          if (expr.op === '+') return this.text(left) + this.text(right);
          throw new VtlError('- needs two numbers');
        }
        return compare(expr.op, left, right);
      }
    }
  }

  value(ref: Ref): unknown {
    let value: unknown = this.root(ref.root);
    for (const segment of ref.segments) {
      const args = segment.args?.map((arg) => this.evaluate(arg));
      value = this.member(value, segment.name, args);
    }
    return value instanceof ContextPath ? this.contextValue(value.path) : value;
  }

  root(name: string): unknown {
    if (name === 'context') return new ContextPath([]);
    if (name === 'input') return INPUT;
    if (name === 'util') return UTIL;
    return this.variables.get(name);
  }

  member(target: unknown, name: string, args: readonly unknown[] | undefined): unknown {
    if (target instanceof ContextPath) {
      if (args !== undefined) return this.member(this.contextValue(target.path), name, args);
      return new ContextPath([...target.path, name]);
    }
    if (target === null || target === undefined) return null;
    if (target === INPUT && args === undefined && name === 'body') return this.input.body;
    if (target === INPUT && args !== undefined) return this.inputMethod(name, args);
    if (target === UTIL && name === 'escapeJavaScript' && args !== undefined) {
      return args[0] === null || args[0] === undefined ? null : escapeJavaScript(String(args[0]));
    }
    if (
      target instanceof HeaderMap &&
      (name === 'get' || name === 'containsKey') &&
      args !== undefined
    ) {
      const value = target.lookup(String(args[0]));
      return name === 'get' ? (value ?? null) : value !== undefined;
    }
    if (typeof target === 'string' && args !== undefined) return stringMethod(target, name, args);
    if (typeof target === 'object' && args === undefined && name in target) {
      return (target as Record<string, unknown>)[name];
    }
    throw new VtlError(`unsupported ${args === undefined ? 'property' : 'method'} ${name}`);
  }

  inputMethod(name: string, args: readonly unknown[]): unknown {
    const [arg] = args;
    if (name === 'params' && arg === undefined) {
      return { path: {}, querystring: {}, header: new HeaderMap(this.input.header) };
    }
    if (name === 'params') return this.input.header(String(arg)) ?? '';
    if (name === 'path') return jsonPath(this.input.body, String(arg));
    if (name === 'json') return JSON.stringify(jsonPath(this.input.body, String(arg)));
    throw new VtlError(`unsupported $input.${name}`);
  }

  contextValue(path: readonly string[]): unknown {
    const [first, second, third] = path;
    if (first === 'responseOverride' && second === 'status') return this.status ?? null;
    if (first === 'responseOverride' && second === 'header' && third !== undefined) {
      return this.headers.find(([name]) => name === third)?.[1] ?? null;
    }
    return contextValue(path.join('.'), this.context);
  }

  assign(target: Ref, value: unknown): void {
    // Velocity 1.7 leaves the target unchanged when the value is null.
    if (value === null || value === undefined) return;
    const path = target.segments.map((s) => s.name);
    if (target.segments.some((s) => s.args !== undefined)) this.fail(target);
    if (target.root !== 'context') {
      if (path.length > 0) this.fail(target);
      this.variables.set(target.root, value);
    } else if (path.join('.') === 'responseOverride.status') {
      this.status = Number(value);
    } else if (path.length === 3 && path[0] === 'responseOverride' && path[1] === 'header') {
      this.headers.push([path[2] as string, this.text(value)]);
    } else this.fail(target);
  }

  fail(target: Ref): never {
    throw new VtlError(`cannot #set ${target.source}`);
  }
}

/**
 * Runs an integration response template as API Gateway does.
 * @throws VtlError when the template is outside the supported subset
 */
export function evaluateTemplate(
  template: string,
  context: MappingContext,
  input: VtlInput,
): VtlResult {
  const nodes = parseTemplate(template);
  const evaluator = new Evaluator(context, input);
  const output = evaluator.render(nodes);
  return { output, status: evaluator.status, headers: evaluator.headers };
}
