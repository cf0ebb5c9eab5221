/**
 * The small part of API Gateway's mapping language the stack's templates
 * use: `$context.*` variables (with `$context.error.messageString` as a
 * quoted JSON string), and parameter mappings (`'literal'`,
 * `context.requestId`, `method.request.header.X`,
 * `integration.response.header.X`). Anything else renders empty, as an
 * unset variable does in API Gateway.
 */

export interface MappingContext {
  readonly requestId: string;
  readonly stage: string;
  readonly resourcePath: string;
  readonly httpMethod: string;
  readonly sourceIp: string;
  readonly apiKeyId: string;
  readonly errorMessage: string;
  readonly errorResponseType: string;
}

/** The value of `$context.<name>` (empty for a variable API Gateway would not set). */
export function contextValue(name: string, context: MappingContext): string {
  switch (name) {
    case 'requestId':
      return context.requestId;
    case 'stage':
      return context.stage;
    case 'resourcePath':
      return context.resourcePath;
    case 'httpMethod':
      return context.httpMethod;
    case 'identity.sourceIp':
      return context.sourceIp;
    case 'identity.apiKeyId':
      return context.apiKeyId;
    case 'error.message':
      return context.errorMessage;
    case 'error.messageString':
      return JSON.stringify(context.errorMessage);
    case 'error.responseType':
      return context.errorResponseType;
    default:
      return '';
  }
}

/** Renders a body mapping template. */
export function renderTemplate(template: string, context: MappingContext): string {
  return template.replace(/\$context\.([A-Za-z.]+[A-Za-z])/g, (_, name: string) =>
    contextValue(name, context),
  );
}

/** Case-insensitive header lookup in a Node request's headers. */
export type HeaderLookup = (name: string) => string | undefined;

/** Evaluates a parameter mapping expression; undefined when its source is absent. */
export function mapParameter(
  expression: string,
  context: MappingContext,
  requestHeader: HeaderLookup,
  integrationHeader: HeaderLookup = () => undefined,
): string | undefined {
  if (expression.startsWith("'") && expression.endsWith("'")) return expression.slice(1, -1);
  if (expression.startsWith('context.'))
    return contextValue(expression.slice('context.'.length), context);
  if (expression.startsWith('method.request.header.')) {
    return requestHeader(expression.slice('method.request.header.'.length));
  }
  if (expression.startsWith('integration.response.header.')) {
    return integrationHeader(expression.slice('integration.response.header.'.length));
  }
  return undefined;
}
