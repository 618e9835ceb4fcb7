/** A Logger that keeps its lines ("level message {fields}") for assertions. */
export function captureLogger() {
  const lines: string[] = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    void lines.push(`${level} ${msg} ${fields ? JSON.stringify(fields) : ''}`);
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}
