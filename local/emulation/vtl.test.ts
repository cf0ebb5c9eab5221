import { describe, expect, it } from 'vitest';
import { evaluateTemplate, type MappingContext, type TemplateInput } from './mapping.ts';
import { renderVtl, TemplateError } from './vtl.ts';

const context: MappingContext = {
  requestId: 'r-1',
  stage: 'dev',
  resourcePath: '/predict',
  httpMethod: 'OPTIONS',
  sourceIp: '127.0.0.1',
  apiKeyId: '',
  errorMessage: 'Say "hi"',
  errorResponseType: 'THROTTLED',
  extendedRequestId: 'AbCdEfGhIjKlMnO=',
};
const withHeaders = (header: Record<string, string>, body = ''): TemplateInput => ({
  params: { path: {}, querystring: { q: '1' }, header },
  body,
});

/** The multiple-origin preflight template CDK's addCorsPreflight renders (aws-apigateway cors.ts). */
const CDK_CORS_TEMPLATE = [
  '#set($origin = $input.params().header.get("Origin"))',
  '#if($origin == "")',
  '  #set($origin = $input.params().header.get("origin"))',
  '#end',
  '#if($origin == "https://b.example")',
  '  #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)',
  '#end',
].join('\n');

describe('renderVtl', () => {
  it.each([
    { template: 'plain {"a":1}', expected: 'plain {"a":1}' },
    { template: `$a and \${a}x and $!missing and $missing.`, expected: 'A and Ax and  and .' },
    { template: '#set($n = 2 + 3)$n', expected: '5' },
    { template: '#set($s = "v=$a")$s', expected: 'v=A' },
    { template: "#set($s = '$a')$s", expected: '$a' },
    { template: '#if($a == "A")yes#{else}no#end', expected: 'yes' },
    { template: '#if($missing)yes#elseif($a != "B" && !$f)mid#{else}no#end', expected: 'mid' },
    { template: '#foreach($x in [1, 2, 3])$x#if($foreach.hasNext),#end#end', expected: '1,2,3' },
    {
      template: '$m.get("k") $m.k $m.keySet().size() $a.toLowerCase() $a.length()',
      expected: 'v v 1 a 1',
    },
    { template: '## comment\nx#* block *#y', expected: '\nxy' },
    { template: 'a\n  #set($b = 1)\nc', expected: 'a\nc' },
    { template: '#set($a = $missing)$a', expected: 'A' },
  ])('$template', ({ template, expected }) => {
    expect(renderVtl(template, { a: 'A', f: false, m: { k: 'v' } })).toBe(expected);
  });

  it.each([
    '#if($a)x',
    '#end',
    '#set(a = 1)',
    '#set($context.responseOverride.status = 1)#set($context.responseOverride.status = 2)',
  ])('refuses %j', (template) => {
    expect(() => renderVtl(template, { a: 1, context: { responseOverride: {} } })).toThrow(
      TemplateError,
    );
  });
});

describe('evaluateTemplate ($context, $input, $util, overrides)', () => {
  it('renders $context, with messageString quoted as JSON', () => {
    const { body } = evaluateTemplate(
      '{"m":$context.error.messageString,"t":"$context.error.responseType","id":"$context.requestId","x":"$context.extendedRequestId","u":"$context.unknown"}',
      context,
    );
    expect(JSON.parse(body)).toEqual({
      m: 'Say "hi"',
      t: 'THROTTLED',
      id: 'r-1',
      x: 'AbCdEfGhIjKlMnO=',
      u: '',
    });
  });

  it('reads $input.params, $input.path, $input.json and $util', () => {
    const { body } = evaluateTemplate(
      '$input.params("q")|$input.params("x-thing")|$input.path("$.a.b[1]")|$input.json("$.a")|$util.escapeJavaScript(\'say "x"\')$util.escapeJavaScript("it\'s")|$util.base64Encode("hi")',
      context,
      withHeaders({ 'X-Thing': 't' }, '{"a":{"b":[1,2]}}'),
    );
    expect(body).toBe('1|t|2|{"b":[1,2]}|say \\"x\\"it\\\'s|aGk=');
  });

  it('returns $context.responseOverride status and headers', () => {
    const rendered = evaluateTemplate(
      '#set($context.responseOverride.status = 418)#set($context.responseOverride.header.X-Y = "z")body',
      context,
    );
    expect(rendered).toEqual({ body: 'body', status: 418, headers: { 'X-Y': 'z' } });
  });

  it.each([
    {
      origin: 'https://b.example',
      expected: { 'Access-Control-Allow-Origin': 'https://b.example' },
    },
    { origin: 'https://a.example', expected: {} },
    { origin: 'https://evil.example', expected: {} },
  ])("CDK's multiple-origin preflight echoes $origin only when allowed", ({ origin, expected }) => {
    const rendered = evaluateTemplate(CDK_CORS_TEMPLATE, context, withHeaders({ Origin: origin }));
    expect(rendered.headers).toEqual(expected);
    expect(rendered.body.trim()).toBe('');
  });
});
