// One benchmark measurement in a fresh Node process (as a starting server would run): `file` run with
// tsx and `args`, its stdout read as one JSON value.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function jsonFromChild<T>(file: string, args: string[], options: { nodeArgs?: string[]; what?: string } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', file, ...args], {
      cwd: PACKAGE_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`${options.what ?? 'child'} exited with ${code}`));
      else resolve(JSON.parse(output) as T);
    });
  });
}
