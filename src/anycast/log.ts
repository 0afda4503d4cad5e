/** One log line format for the anycast processes: ISO time, level, message (stdout, which the lab sends to logs/<name>.log). */
export function logLine(level: 'info' | 'warn' | 'error', message: string): void {
  process.stdout.write(`${new Date().toISOString()} ${level} ${message}\n`);
}
