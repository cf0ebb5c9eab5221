// Imported first by scripts that load the handler: Powertools reads these
// when its Logger and Metrics are constructed at import time, so they must
// be set before any other import is evaluated.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
