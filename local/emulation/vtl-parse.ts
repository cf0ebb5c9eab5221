/**
 * Parses the VTL subset of vtl.ts into a tree: text, references,
 * `#set` and `#if` blocks. Velocity 1.7 syntax: identifiers may hold `-`
 * (so `$context.responseOverride.header.Retry-After` is one reference), and
 * `#else`/`#end` may be written `#{else}`/`#{end}` to run on into text.
 */

/** A template this evaluator (or API Gateway) cannot run. */
export class VtlError extends Error {
  override readonly name = 'VtlError';
}

/** An expression in a directive or a method argument. */
export type Expr =
  | { readonly kind: 'literal'; readonly value: unknown }
  | { readonly kind: 'ref'; readonly ref: Ref }
  | { readonly kind: 'not'; readonly operand: Expr }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Expr; readonly right: Expr };
/** `.name` or `.name(args)` after a reference's root. */
export interface Segment {
  readonly name: string;
  readonly args?: readonly Expr[];
}
/** A reference: `$root.segments`, `$!quiet`, and its source text (rendered when null). */
export interface Ref {
  readonly root: string;
  readonly segments: readonly Segment[];
  readonly quiet: boolean;
  readonly source: string;
}
/** A piece of a parsed template. */
export type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'ref'; readonly ref: Ref }
  | { readonly kind: 'set'; readonly target: Ref; readonly value: Expr }
  | {
      readonly kind: 'if';
      readonly branches: ReadonlyArray<{ readonly test: Expr; readonly body: Node[] }>;
      readonly otherwise: Node[];
    };

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_-]*/y;
const DIRECTIVE = /#(?:\{(set|if|elseif|else|end)\}|(set|if|elseif|else|end)(?![A-Za-z]))/y;
/** Velocity directives outside the subset: a template using one must not run half-understood. */
const UNSUPPORTED = /#\{?(foreach|macro|define|break|stop|include|parse|evaluate)\b/y;
const BINARY_LEVELS: readonly (readonly string[])[] = [
  ['||'],
  ['&&'],
  ['==', '!=', '<=', '>=', '<', '>'],
  ['+', '-'],
];

/** A recursive-descent parser over the template source. */
class Parser {
  pos = 0;
  private readonly src: string;

  constructor(src: string) {
    this.src = src;
  }

  fail(message: string): never {
    throw new VtlError(`${message} at offset ${this.pos} of the template`);
  }

  /** Nodes up to `#elseif`, `#else`, `#end` or the end; returns which stopped it. */
  nodes(): { nodes: Node[]; stop: string | undefined } {
    const nodes: Node[] = [];
    let text = '';
    const flush = () => {
      if (text !== '') nodes.push({ kind: 'text', text });
      text = '';
    };
    while (this.pos < this.src.length) {
      const c = this.src[this.pos];
      if (c === '#' && this.src.startsWith('##', this.pos)) {
        const end = this.src.indexOf('\n', this.pos);
        this.pos = end === -1 ? this.src.length : end + 1;
        continue;
      }
      if (c === '#') {
        UNSUPPORTED.lastIndex = this.pos;
        const unsupported = UNSUPPORTED.exec(this.src)?.[1];
        if (unsupported !== undefined) this.fail(`#${unsupported} is not supported`);
        DIRECTIVE.lastIndex = this.pos;
        const match = DIRECTIVE.exec(this.src);
        if (match !== null) {
          flush();
          this.pos = DIRECTIVE.lastIndex;
          const name = (match[1] ?? match[2]) as string;
          if (name === 'elseif' || name === 'else' || name === 'end') return { nodes, stop: name };
          nodes.push(name === 'set' ? this.set() : this.ifBlock());
          continue;
        }
      }
      if (c === '$') {
        const ref = this.tryRef();
        if (ref !== undefined) {
          flush();
          nodes.push({ kind: 'ref', ref });
          continue;
        }
      }
      text += c;
      this.pos++;
    }
    flush();
    return { nodes, stop: undefined };
  }

  set(): Node {
    this.expect('(');
    this.space();
    const target = this.tryRef();
    if (target === undefined) this.fail('#set needs a reference');
    this.space();
    this.expect('=');
    const value = this.expr();
    this.expect(')');
    return { kind: 'set', target, value };
  }

  ifBlock(): Node {
    const branches: Array<{ test: Expr; body: Node[] }> = [];
    let test = this.condition();
    for (;;) {
      const { nodes, stop } = this.nodes();
      if (stop === undefined) this.fail('#if without #end');
      branches.push({ test, body: nodes });
      if (stop === 'elseif') test = this.condition();
      else if (stop === 'end') return { kind: 'if', branches, otherwise: [] };
      else {
        const rest = this.nodes();
        if (rest.stop !== 'end') this.fail('#else without #end');
        return { kind: 'if', branches, otherwise: rest.nodes };
      }
    }
  }

  condition(): Expr {
    this.space();
    this.expect('(');
    const test = this.expr();
    this.expect(')');
    return test;
  }

  /** `$x`, `$!x`, `${x}`, each with `.property` and `.method(args)` segments. */
  tryRef(): Ref | undefined {
    const start = this.pos;
    let at = this.pos + 1;
    const quiet = this.src[at] === '!';
    if (quiet) at++;
    const formal = this.src[at] === '{';
    if (formal) at++;
    IDENTIFIER.lastIndex = at;
    const root = IDENTIFIER.exec(this.src)?.[0];
    if (root === undefined) return undefined;
    this.pos = IDENTIFIER.lastIndex;
    const segments: Segment[] = [];
    while (this.src[this.pos] === '.') {
      IDENTIFIER.lastIndex = this.pos + 1;
      const name = IDENTIFIER.exec(this.src)?.[0];
      if (name === undefined) break;
      this.pos = IDENTIFIER.lastIndex;
      segments.push(this.src[this.pos] === '(' ? { name, args: this.args() } : { name });
    }
    if (formal) this.expect('}');
    return { root, segments, quiet, source: this.src.slice(start, this.pos) };
  }

  args(): Expr[] {
    this.expect('(');
    const args: Expr[] = [];
    this.space();
    if (this.src[this.pos] === ')') {
      this.pos++;
      return args;
    }
    for (;;) {
      args.push(this.expr());
      if (this.src[this.pos] === ',') this.pos++;
      else break;
    }
    this.expect(')');
    return args;
  }

  expr(level = 0): Expr {
    if (level === BINARY_LEVELS.length) return this.unary();
    const ops = BINARY_LEVELS[level] as readonly string[];
    let left = this.expr(level + 1);
    for (;;) {
      this.space();
      const op = ops.find((o) => this.src.startsWith(o, this.pos));
      if (op === undefined) return left;
      this.pos += op.length;
      left = { kind: 'binary', op, left, right: this.expr(level + 1) };
    }
  }

  unary(): Expr {
    this.space();
    if (this.src[this.pos] === '!') {
      this.pos++;
      return { kind: 'not', operand: this.unary() };
    }
    const expr = this.primary();
    this.space();
    return expr;
  }

  primary(): Expr {
    const c = this.src[this.pos];
    if (c === '(') {
      this.pos++;
      const inner = this.expr();
      this.expect(')');
      return inner;
    }
    if (c === "'" || c === '"') {
      const end = this.src.indexOf(c, this.pos + 1);
      if (end === -1) this.fail('unterminated string');
      const value = this.src.slice(this.pos + 1, end);
      if (c === '"' && value.includes('$')) this.fail('interpolated strings are not supported');
      this.pos = end + 1;
      return { kind: 'literal', value };
    }
    const word = /-?\d+|true\b|false\b|null\b/y;
    word.lastIndex = this.pos;
    const literal = word.exec(this.src)?.[0];
    if (literal !== undefined) {
      this.pos = word.lastIndex;
      const value =
        literal === 'null'
          ? null
          : literal === 'true'
            ? true
            : literal === 'false'
              ? false
              : Number(literal);
      return { kind: 'literal', value };
    }
    if (c === '$') {
      const ref = this.tryRef();
      if (ref !== undefined) return { kind: 'ref', ref };
    }
    return this.fail('expected an expression');
  }

  space(): void {
    while (/\s/.test(this.src[this.pos] ?? '')) this.pos++;
  }

  expect(token: string): void {
    this.space();
    if (!this.src.startsWith(token, this.pos)) this.fail(`expected ${JSON.stringify(token)}`);
    this.pos += token.length;
  }
}

/**
 * The template as a tree.
 * @throws VtlError when it is outside the supported syntax
 */
export function parseTemplate(template: string): Node[] {
  const parser = new Parser(template);
  const { nodes, stop } = parser.nodes();
  if (stop !== undefined) parser.fail(`#${stop} without #if`);
  return nodes;
}
