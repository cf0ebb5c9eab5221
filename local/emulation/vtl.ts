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
import { type Expr, type Node, parseTemplate, type Ref, TemplateError } from './vtl-syntax.ts';

export { TemplateError };

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
