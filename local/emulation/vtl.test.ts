import { describe, expect, it } from 'vitest';
import type { IntegrationResponse } from './api-model.ts';
import { integrationReply } from './integration-response.ts';
import type { MappingContext } from './mapping.ts';
import { isFault, type Reply } from './reply.ts';
import { escapeJavaScript, evaluateTemplate, VtlError, type VtlInput } from './vtl.ts';

const context: MappingContext = {
  requestId: 'req-1',
  stage: 'dev',
  resourcePath: '/invocations',
  httpMethod: 'POST',
  sourceIp: '127.0.0.1',
  apiKeyId: 'key-1',
  errorMessage: '',
  errorResponseType: '',
};

function input(headers: Record<string, string> = {}, body = ''): VtlInput {
  return {
    body,
    header: (name) =>
      Object.entries(headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1],
  };
}

/** `${name}`, VTL's formal reference. */
const formal = (name: string) => `\${${name}}`;

const render = (template: string, vtl: VtlInput = input()) =>
  evaluateTemplate(template, context, vtl).output;

describe('the VTL subset of integration response templates', () => {
  it.each([
    {
      template: `{"id":"$context.requestId","stage":"${formal('context.stage')}"}`,
      out: '{"id":"req-1","stage":"dev"}',
    },
    {
      template: `$missing and $!missing and ${formal('missing')}.`,
      out: `$missing and  and ${formal('missing')}.`,
    },
    { template: 'price: $5, a # sign, #notadirective', out: 'price: $5, a # sign, #notadirective' },
    { template: '#set($a = 1)#if($a == 1)one#elseif($a == 2)two#{else}other#{end}!', out: 'one!' },
    { template: '#set($a = 2)#if($a == 1)one#elseif($a == 2)two#else other#end', out: 'two' },
    { template: '#if(!($x.length() > 0))empty#end', out: 'empty' },
    {
      template: "#set($s = 'abc')#if($s.length() == 3 && $s != 'abd' || false)yes#end",
      out: 'yes',
    },
    { template: '#set($n = 7 - 2 + 1)$n', out: '6' },
    { template: "#set($t = 'a' + 'b')$t", out: 'ab' },
    { template: "#if($nothing == '')eq#{else}ne#{end}", out: 'ne' },
    { template: '#if($nothing)t#{else}f#{end}#if(0)t#{else}f#{end}', out: 'ft' },
    { template: "#set($x = 'kept')#set($x = $nothing)$x", out: 'kept' },
    { template: '## a comment line\nbody', out: 'body' },
    {
      template: "#set($s = 'Hello')$s.toUpperCase() $s.substring(1, 3) $s.contains('ell')",
      out: 'HELLO el true',
    },
  ])('$template', ({ template, out }) => {
    expect(render(template)).toBe(out);
  });

  it('reads method request headers with $input.params, empty when absent', () => {
    const vtl = input({ 'x-request-id': 'abc', Origin: 'https://b.example' });
    expect(render("[$input.params('X-Request-Id')][$input.params('X-Client-Id')]", vtl)).toBe(
      '[abc][]',
    );
    expect(render('$input.params().header.get("Origin")', vtl)).toBe('https://b.example');
    expect(render('#if($input.params().header.containsKey("Nope"))y#{else}n#{end}', vtl)).toBe('n');
  });

  it('reads the integration response body with $input.path, $input.json and $input.body', () => {
    const body = JSON.stringify({ a: { b: [1, { c: 'x"y' }] }, n: 424 });
    const vtl = input({}, body);
    expect(
      render("$input.path('$.n') $input.path('$.a.b[1].c') $input.json('$.a.b[1].c')", vtl),
    ).toBe('424 x"y "x\\"y"');
    expect(render("#if($input.path('$.n') >= 400)4xx#end", vtl)).toBe('4xx');
    expect(render('$input.body', vtl)).toBe(body);
    expect(render("[$!input.path('$.missing')]", vtl)).toBe('[]');
    expect(render("[$!input.path('$.a')]", input({}, 'not json'))).toBe('[]');
  });

  it('escapes like $util.escapeJavaScript, and the documented replaceAll makes it JSON', () => {
    const text = `it's "q" \\ / \n\t é 😀 \u0001`;
    expect(escapeJavaScript(text)).toBe(
      `it\\'s \\"q\\" \\\\ \\/ \\n\\t \\u00E9 \\uD83D\\uDE00 \\u0001`,
    );
    const vtl = input({}, JSON.stringify({ m: text }));
    const json = render(
      String.raw`#set($m = $util.escapeJavaScript($input.path('$.m')).replaceAll("\\'","'")){"m":"$m"}`,
      vtl,
    );
    expect(JSON.parse(json)).toEqual({ m: text });
  });

  it('collects $context.responseOverride.status and headers', () => {
    const result = evaluateTemplate(
      '#set($context.responseOverride.status = 400)#set($context.responseOverride.header.Retry-After = 5)ok',
      context,
      input(),
    );
    expect(result).toEqual({ output: 'ok', status: 400, headers: [['Retry-After', '5']] });
  });

  it("runs CDK's multi-origin CORS preflight template: a second allowed origin is echoed", () => {
    const template = [
      '#set($origin = $input.params().header.get("Origin"))',
      '#if($origin == "")',
      '  #set($origin = $input.params().header.get("origin"))',
      '#end',
      '#if($origin == "https://b.example" || $origin == "https://c.example")',
      '  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
      '#end',
    ].join('\n');
    const echoed = evaluateTemplate(template, context, input({ origin: 'https://c.example' }));
    expect(echoed.headers).toEqual([['Access-Control-Allow-Origin', 'https://c.example']]);
    const other = evaluateTemplate(template, context, input({ Origin: 'https://evil.example' }));
    expect(other.headers).toEqual([]);
  });

  it.each([
    '#foreach($x in $list)$x#end',
    '#if($a)no end',
    '#end',
    '#set($context.stage = 1)',
    "$input.params('a').frobnicate()",
    '#set($a = "interpolated $b")',
  ])('refuses %s', (template) => {
    expect(() => render(template)).toThrow(VtlError);
  });
});

describe('integration responses run their templates as VTL', () => {
  const response = (template: string): IntegrationResponse => ({
    selectionPattern: /400/,
    statusCode: 502,
    responseParameters: {
      'method.response.header.Content-Type': "'application/problem+json'",
      'method.response.header.X-Request-Id': 'context.requestId',
    },
    responseTemplates: { 'application/json': template },
  });
  const result = { status: 400, header: () => undefined, body: Buffer.from('{}') };

  it('applies the status and header overrides', () => {
    const outcome = integrationReply(
      [
        response(
          "#set($context.responseOverride.status = 400)#set($context.responseOverride.header.content-type = 'text/plain')bad",
        ),
      ],
      result,
      context,
      () => undefined,
    ) as Reply;
    expect(outcome.status).toBe(400);
    expect(outcome.headers).toEqual([
      ['X-Request-Id', 'req-1'],
      ['content-type', 'text/plain'],
    ]);
    expect(outcome.body.toString()).toBe('bad');
  });

  it('answers DEFAULT_5XX for a template that cannot run', () => {
    const outcome = integrationReply([response('#if(')], result, context, () => undefined);
    expect(isFault(outcome) && outcome.fault).toBe('DEFAULT_5XX');
  });
});
