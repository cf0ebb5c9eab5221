/**
 * The Velocity Template Language, as far as API Gateway mapping templates
 * use it: text with references (`$a.b`, `${a}`, `$!a`, method calls,
 * `[index]`), `#set`, `#if`/`#elseif`/`#else`/`#end`, `#foreach`, comments,
 * and expressions (literals, `== != < <= > >=`, `&& || !`, `+ - * / %`).
 * As in Velocity 1.7 (API Gateway's engine): a `#set` to null leaves the
 * variable unchanged, `null == ""` is false, and a line holding only a
 * directive produces no output. An unresolved reference renders empty, as
 * API Gateway renders unset variables. Source: API Gateway developer guide,
 * "API Gateway mapping template and access logging variable reference";
 * Apache Velocity 1.7 user guide.
 */

/** A template API Gateway would not accept; the local gateway answers it as a configuration error. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

type Expr =
  | { readonly kind: 'literal'; readonly value: unknown }
  | { readonly kind: 'string'; readonly parts: readonly Node[] }
  | { readonly kind: 'ref'; readonly ref: Ref }
  | { readonly kind: 'list'; readonly items: readonly Expr[] }
  | { readonly kind: 'map'; readonly entries: ReadonlyArray<readonly [Expr, Expr]> }
  | { readonly kind: 'not'; readonly operand: Expr }
  | { readonly kind: 'neg'; readonly operand: Expr }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr };

type Step =
  | { readonly kind: 'prop'; readonly name: string }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expr[] }
  | { readonly kind: 'index'; readonly index: Expr };

interface Ref {
  readonly root: string;
  readonly steps: readonly Step[];
  readonly quiet: boolean;
}

type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'ref'; readonly ref: Ref }
  | { readonly kind: 'set'; readonly target: Ref; readonly value: Expr }
  | {
      readonly kind: 'if';
      readonly branches: ReadonlyArray<{ readonly test: Expr | undefined; readonly body: Node[] }>;
    }
  | { readonly kind: 'foreach'; readonly item: string; readonly list: Expr; readonly body: Node[] };

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const DIRECTIVE = /#(set|if|elseif|else|end|foreach)\b|#\{(set|if|elseif|else|end|foreach)\}/y;

class Parser {
  private pos = 0;
  private readonly src: string;

  constructor(src: string) {
    this.src = src;
  }

  parse(): Node[] {
    const [nodes, end] = this.nodes(new Set());
    if (end !== undefined) throw new TemplateError(`#${end} without #if or #foreach`);
    return nodes;
  }

  /** Nodes up to one of `stops` (a directive name), which is consumed and returned. */
  private nodes(stops: ReadonlySet<string>): [Node[], string | undefined] {
    const out: Node[] = [];
    let text = '';
    const flush = () => {
      if (text !== '') out.push({ kind: 'text', text });
      text = '';
    };
    while (this.pos < this.src.length) {
      const c = this.src[this.pos] as string;
      if (c === '#' && this.src.startsWith('##', this.pos)) {
        const newline = this.src.indexOf('\n', this.pos);
        this.pos = newline === -1 ? this.src.length : newline;
        continue;
      }
      if (c === '#' && this.src.startsWith('#*', this.pos)) {
        const close = this.src.indexOf('*#', this.pos + 2);
        this.pos = close === -1 ? this.src.length : close + 2;
        continue;
      }
      if (c === '#') {
        DIRECTIVE.lastIndex = this.pos;
        const match = DIRECTIVE.exec(this.src);
        if (match !== null) {
          const name = (match[1] ?? match[2]) as string;
          // A line holding only a directive leaves no trace in the output.
          const lineStart = this.src.lastIndexOf('\n', this.pos - 1) + 1;
          const alone = /^[ \t]*$/.test(this.src.slice(lineStart, this.pos));
          if (alone) text = text.replace(/[ \t]*$/, '');
          flush();
          this.pos += match[0].length;
          if (stops.has(name)) {
            this.gobbleLine(alone);
            return [out, name];
          }
          out.push(this.directive(name, alone));
          continue;
        }
      }
      if (c === '$') {
        const ref = this.tryRef();
        if (ref !== undefined) {
          flush();
          out.push({ kind: 'ref', ref });
          continue;
        }
      }
      text += c;
      this.pos++;
    }
    flush();
    return [out, undefined];
  }

  /** After a directive alone on its line, the rest of the line (blanks and the newline). */
  private gobbleLine(alone: boolean): void {
    if (!alone) return;
    const rest = /[ \t]*(\r?\n|$)/y;
    rest.lastIndex = this.pos;
    const match = rest.exec(this.src);
    if (match !== null) this.pos += match[0].length;
  }

  private directive(name: string, alone: boolean): Node {
    if (name === 'set') {
      this.expect('(');
      this.skip();
      const target = this.tryRef();
      if (target === undefined) throw new TemplateError('#set needs a reference on its left');
      this.skip();
      this.expect('=');
      const value = this.expr();
      this.expect(')');
      this.gobbleLine(alone);
      return { kind: 'set', target, value };
    }
    if (name === 'if') {
      const branches: Array<{ test: Expr | undefined; body: Node[] }> = [];
      let test: Expr | undefined = this.condition();
      this.gobbleLine(alone);
      for (;;) {
        const [body, end] = this.nodes(new Set(['elseif', 'else', 'end']));
        branches.push({ test, body });
        if (end === undefined) throw new TemplateError('#if without #end');
        if (end === 'end') return { kind: 'if', branches };
        test = end === 'elseif' ? this.condition() : undefined;
        if (end === 'elseif') this.gobbleLine(true);
      }
    }
    if (name === 'foreach') {
      this.expect('(');
      this.skip();
      const item = this.tryRef();
      this.skip();
      if (item === undefined || !this.src.startsWith('in', this.pos)) {
        throw new TemplateError('#foreach needs ($item in $list)');
      }
      this.pos += 2;
      const list = this.expr();
      this.expect(')');
      this.gobbleLine(alone);
      const [body, end] = this.nodes(new Set(['end']));
      if (end === undefined) throw new TemplateError('#foreach without #end');
      return { kind: 'foreach', item: item.root, list, body };
    }
    throw new TemplateError(`#${name} without #if`);
  }

  private condition(): Expr {
    this.expect('(');
    const test = this.expr();
    this.expect(')');
    return test;
  }

  private skip(): void {
    while (/\s/.test(this.src[this.pos] ?? '')) this.pos++;
  }

  private expect(token: string): void {
    this.skip();
    if (!this.src.startsWith(token, this.pos)) {
      throw new TemplateError(`expected ${token} at ${this.pos}`);
    }
    this.pos += token.length;
  }

  private ident(): string | undefined {
    IDENT.lastIndex = this.pos;
    const match = IDENT.exec(this.src);
    if (match === null) return undefined;
    this.pos += match[0].length;
    return match[0];
  }

  /** `$a.b(c)[d]`, `$!a`, `${a.b}`; undefined (nothing consumed) when `$` starts no reference. */
  private tryRef(): Ref | undefined {
    const start = this.pos;
    this.pos++;
    const quiet = this.src[this.pos] === '!';
    if (quiet) this.pos++;
    const braced = this.src[this.pos] === '{';
    if (braced) this.pos++;
    const root = this.ident();
    if (root === undefined) {
      this.pos = start;
      return undefined;
    }
    const steps: Step[] = [];
    for (;;) {
      const c = this.src[this.pos];
      if (c === '.') {
        const save = this.pos;
        this.pos++;
        const name = this.ident();
        if (name === undefined) {
          this.pos = save;
          break;
        }
        if (this.src[this.pos] === '(') {
          this.pos++;
          steps.push({ kind: 'call', name, args: this.args(')') });
        } else steps.push({ kind: 'prop', name });
      } else if (c === '[') {
        this.pos++;
        const index = this.expr();
        this.expect(']');
        steps.push({ kind: 'index', index });
      } else break;
    }
    if (braced) this.expect('}');
    return { root, steps, quiet };
  }

  private args(close: string): Expr[] {
    const args: Expr[] = [];
    this.skip();
    if (this.src[this.pos] === close) {
      this.pos++;
      return args;
    }
    for (;;) {
      args.push(this.expr());
      this.skip();
      const c = this.src[this.pos];
      this.pos++;
      if (c === close) return args;
      if (c !== ',') throw new TemplateError(`expected , or ${close} at ${this.pos - 1}`);
    }
  }

  private expr(): Expr {
    return this.binary(0);
  }

  private static readonly LEVELS: ReadonlyArray<ReadonlyArray<readonly [string, string]>> = [
    [
      ['||', '||'],
      ['or', '||'],
    ],
    [
      ['&&', '&&'],
      ['and', '&&'],
    ],
    [
      ['==', '=='],
      ['!=', '!='],
      ['<=', '<='],
      ['>=', '>='],
      ['<', '<'],
      ['>', '>'],
      ['eq', '=='],
      ['ne', '!='],
      ['le', '<='],
      ['ge', '>='],
      ['lt', '<'],
      ['gt', '>'],
    ],
    [
      ['+', '+'],
      ['-', '-'],
    ],
    [
      ['*', '*'],
      ['/', '/'],
      ['%', '%'],
    ],
  ];

  private binary(level: number): Expr {
    const ops = Parser.LEVELS[level];
    if (ops === undefined) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      this.skip();
      const op = ops.find(([token]) => {
        if (!this.src.startsWith(token, this.pos)) return false;
        // Word operators need a boundary: `order` is not `or` + `der`.
        return (
          !/^[a-z]/.test(token) || !/[A-Za-z0-9_]/.test(this.src[this.pos + token.length] ?? '')
        );
      });
      if (op === undefined) return left;
      this.pos += op[0].length;
      left = { kind: 'binary', op: op[1], left, right: this.binary(level + 1) };
    }
  }

  private unary(): Expr {
    this.skip();
    if (this.src[this.pos] === '!' && this.src[this.pos + 1] !== '=') {
      this.pos++;
      return { kind: 'not', operand: this.unary() };
    }
    if (/^not\b/.test(this.src.slice(this.pos, this.pos + 4))) {
      this.pos += 3;
      return { kind: 'not', operand: this.unary() };
    }
    if (this.src[this.pos] === '-' && !/\d/.test(this.src[this.pos + 1] ?? '')) {
      this.pos++;
      return { kind: 'neg', operand: this.unary() };
    }
    return this.primary();
  }

  private primary(): Expr {
    this.skip();
    const c = this.src[this.pos];
    if (c === '(') {
      this.pos++;
      const inner = this.expr();
      this.expect(')');
      return inner;
    }
    if (c === '$') {
      const ref = this.tryRef();
      if (ref !== undefined) return { kind: 'ref', ref };
    }
    if (c === '"' || c === "'") return this.string(c);
    if (c === '[') {
      this.pos++;
      return { kind: 'list', items: this.args(']') };
    }
    if (c === '{') {
      this.pos++;
      const entries: Array<readonly [Expr, Expr]> = [];
      this.skip();
      if (this.src[this.pos] === '}') this.pos++;
      else
        for (;;) {
          const key = this.expr();
          this.expect(':');
          entries.push([key, this.expr()]);
          this.skip();
          const next = this.src[this.pos++];
          if (next === '}') break;
          if (next !== ',') throw new TemplateError('expected , or } in a map');
        }
      return { kind: 'map', entries };
    }
    const number = /-?\d+(\.\d+)?/y;
    number.lastIndex = this.pos;
    const n = number.exec(this.src);
    if (n !== null) {
      this.pos += n[0].length;
      return { kind: 'literal', value: Number(n[0]) };
    }
    const word = this.ident();
    if (word === 'true' || word === 'false') return { kind: 'literal', value: word === 'true' };
    if (word === 'null') return { kind: 'literal', value: null };
    throw new TemplateError(
      `unexpected ${JSON.stringify(this.src.slice(this.pos, this.pos + 10))}`,
    );
  }

  /** A string literal: double quotes interpolate references, single quotes do not. */
  private string(quote: string): Expr {
    const close = this.src.indexOf(quote, this.pos + 1);
    if (close === -1) throw new TemplateError('unterminated string');
    const body = this.src.slice(this.pos + 1, close);
    this.pos = close + 1;
    if (quote === "'" || !body.includes('$')) return { kind: 'literal', value: body };
    return { kind: 'string', parts: new Parser(body).parse() };
  }
}

const parsed = new Map<string, Node[]>();

function parseTemplate(template: string): Node[] {
  let nodes = parsed.get(template);
  if (nodes === undefined) {
    nodes = new Parser(template).parse();
    parsed.set(template, nodes);
  }
  return nodes;
}

/** A Java-like method on a template value; undefined when the value has no such method. */
function callMethod(target: unknown, name: string, args: unknown[]): unknown {
  if (target !== null && typeof target === 'object') {
    const own = (target as Record<string, unknown>)[name];
    if (typeof own === 'function') return (own as (...a: unknown[]) => unknown)(...args);
  }
  const [a, b] = args;
  if (typeof target === 'string') {
    switch (name) {
      case 'length':
        return target.length;
      case 'contains':
        return target.includes(String(a));
      case 'startsWith':
        return target.startsWith(String(a));
      case 'endsWith':
        return target.endsWith(String(a));
      case 'equals':
        return target === String(a);
      case 'equalsIgnoreCase':
        return target.toLowerCase() === String(a).toLowerCase();
      case 'toLowerCase':
        return target.toLowerCase();
      case 'toUpperCase':
        return target.toUpperCase();
      case 'trim':
        return target.trim();
      case 'isEmpty':
        return target.length === 0;
      case 'indexOf':
        return target.indexOf(String(a));
      case 'substring':
        return target.substring(Number(a), b === undefined ? undefined : Number(b));
      case 'replace':
        return target.split(String(a)).join(String(b));
      case 'matches':
        return new RegExp(`^(?:${String(a)})$`).test(target);
      case 'toString':
        return target;
    }
  }
  if (Array.isArray(target)) {
    switch (name) {
      case 'size':
        return target.length;
      case 'isEmpty':
        return target.length === 0;
      case 'get':
        return target[Number(a)] ?? null;
      case 'contains':
        return target.includes(a);
    }
  } else if (target !== null && typeof target === 'object') {
    const map = target as Record<string, unknown>;
    switch (name) {
      case 'get':
        return Object.hasOwn(map, String(a)) ? map[String(a)] : null;
      case 'containsKey':
        return Object.hasOwn(map, String(a));
      case 'keySet':
        return Object.keys(map);
      case 'size':
        return Object.keys(map).length;
      case 'isEmpty':
        return Object.keys(map).length === 0;
      case 'put':
        map[String(a)] = b;
        return null;
    }
  }
  if (name === 'toString') return stringify(target);
  return undefined;
}

/** How a value renders into the output. */
export function stringify(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  if (typeof value === 'function') return '';
  return String(value);
}

function truthy(value: unknown): boolean {
  return value !== null && value !== undefined && value !== false;
}

function equal(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) {
    return (a ?? null) === (b ?? null);
  }
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  return stringify(a) === stringify(b);
}

/** Variables of one evaluation; assignments to `$context.responseOverride.*` are recorded. */
class Evaluation {
  private readonly overridden = new Set<string>();
  private readonly vars: Map<string, unknown>;

  constructor(vars: Map<string, unknown>) {
    this.vars = vars;
  }

  run(nodes: readonly Node[]): string {
    let out = '';
    for (const node of nodes) {
      switch (node.kind) {
        case 'text':
          out += node.text;
          break;
        case 'ref': {
          const value = this.ref(node.ref);
          out += stringify(value);
          break;
        }
        case 'set':
          this.assign(node.target, this.expr(node.value));
          break;
        case 'if': {
          const branch = node.branches.find(
            (b) => b.test === undefined || truthy(this.expr(b.test)),
          );
          if (branch !== undefined) out += this.run(branch.body);
          break;
        }
        case 'foreach': {
          const list = this.expr(node.list);
          const items = Array.isArray(list)
            ? list
            : list !== null && typeof list === 'object'
              ? Object.values(list)
              : [];
          items.forEach((item, i) => {
            this.vars.set(node.item, item);
            this.vars.set('foreach', { hasNext: i < items.length - 1, index: i, count: i + 1 });
            this.vars.set('velocityCount', i + 1);
            out += this.run(node.body);
          });
          break;
        }
      }
    }
    return out;
  }

  private ref(ref: Ref): unknown {
    let value: unknown = this.vars.get(ref.root);
    for (const step of ref.steps) {
      if (value === null || value === undefined) return undefined;
      if (step.kind === 'prop') {
        if (typeof value === 'object') value = (value as Record<string, unknown>)[step.name];
        else value = callMethod(value, step.name, []);
      } else if (step.kind === 'call') {
        value = callMethod(
          value,
          step.name,
          step.args.map((arg) => this.expr(arg)),
        );
      } else {
        const index = this.expr(step.index);
        value = Array.isArray(value)
          ? value[Number(index)]
          : (value as Record<string, unknown>)[String(index)];
      }
    }
    return value;
  }

  private assign(target: Ref, value: unknown): void {
    // Velocity 1.7: a null right-hand side leaves the variable as it was.
    if (value === null || value === undefined) return;
    const path = [target.root, ...target.steps.map((s) => (s.kind === 'prop' ? s.name : '?'))];
    if (target.steps.some((s) => s.kind !== 'prop')) {
      throw new TemplateError(`cannot #set ${path.join('.')}`);
    }
    const key = path.join('.');
    if (key.startsWith('context.responseOverride.') || key.startsWith('context.requestOverride.')) {
      // Source: API Gateway developer guide, "Override your API's request
      // and response parameters and status codes": overrides are final.
      if (this.overridden.has(key)) throw new TemplateError(`${key} is overridden twice`);
      this.overridden.add(key);
    }
    if (path.length === 1) {
      this.vars.set(target.root, value);
      return;
    }
    let container = this.vars.get(target.root);
    if (container === null || typeof container !== 'object') {
      container = {};
      this.vars.set(target.root, container);
    }
    for (const name of path.slice(1, -1)) {
      const object = container as Record<string, unknown>;
      if (object[name] === null || typeof object[name] !== 'object') object[name] = {};
      container = object[name];
    }
    (container as Record<string, unknown>)[path[path.length - 1] as string] = value;
  }

  private expr(expr: Expr): unknown {
    switch (expr.kind) {
      case 'literal':
        return expr.value;
      case 'string':
        return this.run(expr.parts);
      case 'ref':
        return this.ref(expr.ref);
      case 'list':
        return expr.items.map((item) => this.expr(item));
      case 'map':
        return Object.fromEntries(
          expr.entries.map(([k, v]) => [stringify(this.expr(k)), this.expr(v)]),
        );
      case 'not':
        return !truthy(this.expr(expr.operand));
      case 'neg':
        return -Number(this.expr(expr.operand));
      case 'binary':
        return this.binary(expr.op, expr.left, expr.right);
    }
  }

  private binary(op: string, leftExpr: Expr, rightExpr: Expr): unknown {
    if (op === '&&') return truthy(this.expr(leftExpr)) && truthy(this.expr(rightExpr));
    if (op === '||') return truthy(this.expr(leftExpr)) || truthy(this.expr(rightExpr));
    const left = this.expr(leftExpr);
    const right = this.expr(rightExpr);
    switch (op) {
      case '==':
        return equal(left, right);
      case '!=':
        return !equal(left, right);
      case '+':
        return typeof left === 'number' && typeof right === 'number'
          ? left + right
          : stringify(left) + stringify(right);
    }
    const a = Number(left);
    const b = Number(right);
    switch (op) {
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
        return Math.trunc(a / b);
      case '%':
        return a % b;
      case '<':
        return a < b;
      case '<=':
        return a <= b;
      case '>':
        return a > b;
      default:
        return a >= b;
    }
  }
}

/**
 * Renders `template` with `variables` (`context`, `input`, `util`, ...);
 * the variables' objects see the template's `#set` assignments afterwards
 * (this is how `$context.responseOverride` comes back).
 * @throws TemplateError for a template API Gateway would not accept or run
 */
export function renderVtl(template: string, variables: Readonly<Record<string, unknown>>): string {
  return new Evaluation(new Map(Object.entries(variables))).run(parseTemplate(template));
}
