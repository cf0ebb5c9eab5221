/**
 * The small part of API Gateway's mapping language the stack's templates
 * use: `$context.*` variables (with `$context.error.messageString` as a
 * quoted JSON string), and parameter mappings (`'literal'`,
 * `context.requestId`, `stageVariables.x`, `method.request.header.X`,
 * `integration.response.header.X`). Anything else renders empty, as an
 * unset variable does in API Gateway. Source: API Gateway developer guide,
 * "API Gateway mapping template and access logging variable reference".
 */

/** `$context` of one request; the optional fields are empty when unknown. */
export interface MappingContext {
  readonly requestId: string;
  readonly stage: string;
  readonly resourcePath: string;
  readonly httpMethod: string;
  readonly sourceIp: string;
  readonly apiKeyId: string;
  readonly errorMessage: string;
  readonly errorResponseType: string;
  /** The id API Gateway generates itself (also `x-amz-apigw-id`). */
  readonly extendedRequestId?: string;
  /** CLF time, `dd/MMM/yyyy:HH:mm:ss +0000`. */
  readonly requestTime?: string;
  readonly requestTimeEpoch?: number;
  readonly domainName?: string;
  readonly domainPrefix?: string;
  readonly accountId?: string;
  readonly apiId?: string;
  readonly userAgent?: string;
  readonly stageVariables?: Readonly<Record<string, string>>;
}

/** The value of `$context.<name>` (empty for a variable API Gateway would not set). */
export function contextValue(name: string, context: MappingContext): string {
  switch (name) {
    case 'requestId':
      return context.requestId;
    case 'extendedRequestId':
      return context.extendedRequestId ?? '';
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
    case 'identity.userAgent':
      return context.userAgent ?? '';
    case 'error.message':
      return context.errorMessage;
    case 'error.messageString':
      return JSON.stringify(context.errorMessage);
    case 'error.responseType':
      return context.errorResponseType;
    case 'requestTime':
      return context.requestTime ?? '';
    case 'requestTimeEpoch':
      return context.requestTimeEpoch === undefined ? '' : String(context.requestTimeEpoch);
    case 'domainName':
      return context.domainName ?? '';
    case 'domainPrefix':
      return context.domainPrefix ?? '';
    case 'accountId':
      return context.accountId ?? '';
    case 'apiId':
      return context.apiId ?? '';
    default:
      return '';
  }
}

/** Renders a gateway response's body template (it uses only `$context`). */
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
  if (expression.startsWith('stageVariables.')) {
    return context.stageVariables?.[expression.slice('stageVariables.'.length)];
  }
  if (expression.startsWith('method.request.header.')) {
    return requestHeader(expression.slice('method.request.header.'.length));
  }
  if (expression.startsWith('integration.response.header.')) {
    return integrationHeader(expression.slice('integration.response.header.'.length));
  }
  return undefined;
}
