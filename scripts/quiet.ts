// Imported first by scripts that load the handler: Powertools reads these
// when its Logger and Metrics are constructed at import time, so they must
// be set before any other import is evaluated.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

// The SDK warns on Node < 22 that its releases after January 2027 will need
// Node 22. The lockfile pins this one, which runs on Node 20; the README says
// so once, instead of every local start printing nine lines about it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
