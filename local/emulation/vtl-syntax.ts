/**
 * The syntax of the Velocity subset API Gateway mapping templates use:
 * text, references (`$a.b`, `${a}`, `$!a`, method calls, `[index]`),
 * `#set`, `#if`/`#elseif`/`#else`/`#end`, `#foreach`, `##` and `#* *#`
 * comments, and expressions. A line holding only a directive produces no
 * output. Parsed templates are kept: a stack has few, used many times.
 * Source: Apache Velocity 1.7 user guide (API Gateway's engine).
 */

/** A template API Gateway would not accept; the local gateway answers it as a configuration error. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

export type Expr =
  | { readonly kind: 'literal'; readonly value: unknown }
  | { readonly kind: 'string'; readonly parts: readonly Node[] }
  | { readonly kind: 'ref'; readonly ref: Ref }
  | { readonly kind: 'list'; readonly items: readonly Expr[] }
  | { readonly kind: 'map'; readonly entries: ReadonlyArray<readonly [Expr, Expr]> }
  | { readonly kind: 'not'; readonly operand: Expr }
  | { readonly kind: 'neg'; readonly operand: Expr }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr };

export type Step =
  | { readonly kind: 'prop'; readonly name: string }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Expr[] }
  | { readonly kind: 'index'; readonly index: Expr };

export interface Ref {
  readonly root: string;
  readonly steps: readonly Step[];
  readonly quiet: boolean;
}

export type Node =
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

  private static readonly ALIASES: Readonly<Record<string, string>> = {
    or: '||',
    and: '&&',
    eq: '==',
    ne: '!=',
    le: '<=',
    ge: '>=',
    lt: '<',
    gt: '>',
  };

  /** Binary operators by precedence, lowest first; word forms are Velocity's aliases. */
  private static readonly LEVELS: ReadonlyArray<ReadonlyArray<readonly [string, string]>> = [
    ['||', 'or'],
    ['&&', 'and'],
    ['==', '!=', '<=', '>=', '<', '>', 'eq', 'ne', 'le', 'ge', 'lt', 'gt'],
    ['+', '-'],
    ['*', '/', '%'],
  ].map((tokens) =>
    tokens.map((token): readonly [string, string] => [token, Parser.ALIASES[token] ?? token]),
  );

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

/** The parsed form of `template`. @throws TemplateError */
export function parseTemplate(template: string): Node[] {
  let nodes = parsed.get(template);
  if (nodes === undefined) {
    nodes = new Parser(template).parse();
    parsed.set(template, nodes);
  }
  return nodes;
}
