// Argument errors a model can act on. The SDK checks tool arguments with each tool's zod schema and
// passes zod's own words on ("Unrecognized keys", "Invalid input at positive_targets[0]"). Here, in
// one place for every tool, a failure names the argument, says what was wrong, lists the valid
// arguments or values and offers a near match; a list given as one comma-separated string is split.

import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { preview } from '../errors.js';

/** Names a model reaches for that mean another argument of the same tool (used only for unknown names). */
const SYNONYMS: Record<string, Record<string, string>> = {
  backlink_gap: {
    competitors: 'competitor_domains',
    competitor: 'competitor_domains',
    domain: 'your_domain',
    my_domain: 'your_domain',
    site: 'your_domain',
    target: 'your_domain',
    per_page: 'top',
    format: 'response_format',
  },
  list_prospects: {
    limit: 'per_page',
    page_size: 'per_page',
    count: 'per_page',
    offset: 'page',
    min_rank: 'min_authority',
    search: 'q',
    query: 'q',
    sort_by: 'sort',
  },
  get_backlinks: { domain: 'target', url: 'target', site: 'target', per_page: 'limit', next_cursor: 'cursor', format: 'response_format' },
  link_intersect: {
    targets: 'positive_targets',
    include: 'positive_targets',
    exclude: 'negative_targets',
    per_page: 'limit',
    cursor: 'next_token',
    format: 'response_format',
  },
};

/** The part of a zod (v4) schema this file reads. */
interface Schema {
  _zod: {
    def: {
      type: string;
      innerType?: Schema;
      element?: Schema;
      options?: Schema[];
      entries?: Record<string, string | number>;
      shape?: Record<string, Schema>;
    };
  };
  safeParseAsync(value: unknown): Promise<{ success: true; data: unknown } | { success: false; error: { issues: Issue[] } }>;
}

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  expected?: string;
  values?: unknown[];
  keys?: string[];
  errors?: Issue[][];
  origin?: string;
  maximum?: number | bigint;
  minimum?: number | bigint;
}

type Validate = (tool: { inputSchema?: unknown }, args: unknown, toolName: string) => Promise<unknown>;

/** Route every tool's argument check on this server through the rewording here. */
export function interceptArgumentErrors(server: McpServer): void {
  const target = server as unknown as { validateToolInput: Validate };
  const original: Validate = target.validateToolInput.bind(server);
  target.validateToolInput = async (tool, args, toolName) => {
    const schema = tool.inputSchema;
    if (!isSchema(schema)) return original(tool, args, toolName);
    const prepared = prepareArguments(schema, args ?? {});
    try {
      return await original(tool, prepared, toolName);
    } catch (error) {
      const parsed = await schema.safeParseAsync(prepared);
      // Refused for another reason than the schema (the SDK's element-count bound): keep its words.
      if (parsed.success) throw error;
      throw new Error(describeArgumentErrors(toolName, schema, prepared, parsed.error.issues));
    }
  };
}

function isSchema(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && '_zod' in value && 'safeParseAsync' in value;
}

/** Lenient on the way in where the meaning is plain: a list argument given as one string
 *  ("a.com, b.com" or a JSON array in a string) becomes the list. */
export function prepareArguments(schema: unknown, args: unknown): unknown {
  if (!isSchema(schema) || typeof args !== 'object' || args === null || Array.isArray(args)) return args;
  const shape = unwrap(schema)._zod.def.shape;
  if (shape === undefined) return args;
  let out: Record<string, unknown> | undefined;
  for (const [name, field] of Object.entries(shape)) {
    const value = (args as Record<string, unknown>)[name];
    if (typeof value !== 'string' || !Object.hasOwn(args, name) || unwrap(field)._zod.def.type !== 'array') continue;
    out ??= { ...(args as Record<string, unknown>) };
    out[name] = splitList(value);
  }
  return out ?? args;
}

function splitList(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (Array.isArray(parsed)) return parsed;
    } catch {
      // Not JSON: split it as text.
    }
  }
  return trimmed.split(/[\s,;]+/).filter(Boolean);
}

/** One message for all of a call's problems: `invalid_input: <tool>: <problem>; <problem>.` */
export function describeArgumentErrors(toolName: string, schema: unknown, args: unknown, issues: Issue[]): string {
  const context: Context = { toolName, root: isSchema(schema) ? unwrap(schema) : undefined, args, synonyms: SYNONYMS[toolName] ?? {} };
  return `invalid_input: ${toolName}: ${describeIssues(issues, [], context).join('; ')}.`;
}

interface Context {
  toolName: string;
  root: Schema | undefined;
  args: unknown;
  synonyms: Record<string, string>;
}

/** The problems of one object (the arguments, or an item of a list). A required field given under
 *  another name is reported once, as the unknown name with its suggestion. */
function describeIssues(issues: Issue[], base: PropertyKey[], context: Context): string[] {
  const meant = new Set<string>();
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys') continue;
    const path = [...base, ...issue.path];
    for (const key of issue.keys ?? []) {
      const suggestion = suggest(key, path, context);
      if (suggestion !== undefined) meant.add(labelOf([...path, suggestion]));
    }
  }
  return issues
    .filter((issue) => {
      const path = [...base, ...issue.path];
      return !(issue.code === 'invalid_type' && meant.has(labelOf(path)) && valueAt(context.args, path) === undefined);
    })
    .map((issue) => describeIssue(issue, base, context));
}

function suggest(key: string, path: PropertyKey[], context: Context): string | undefined {
  return (path.length === 0 ? context.synonyms[key] : undefined) ?? nearest(key, Object.keys(fieldsAt(context, path)));
}

/** The fields of the object at `path` (through a union, its one object form). */
function fieldsAt(context: Context, path: PropertyKey[]): Record<string, Schema> {
  const field = context.root === undefined ? undefined : schemaAt(context.root, path);
  if (field === undefined) return {};
  const def = unwrap(field)._zod.def;
  if (def.type === 'object') return def.shape ?? {};
  const objects = (def.options ?? []).filter((option) => unwrap(option)._zod.def.type === 'object');
  return objects.length === 1 && objects[0] !== undefined ? (unwrap(objects[0])._zod.def.shape ?? {}) : {};
}

function describeIssue(issue: Issue, base: PropertyKey[], context: Context): string {
  const path = [...base, ...issue.path];
  const label = labelOf(path);
  const value = valueAt(context.args, path);
  const field = context.root === undefined ? undefined : schemaAt(context.root, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const valid = Object.keys(fieldsAt(context, path));
      const where = path.length === 0 ? `an argument of ${context.toolName}` : `a field of ${label}`;
      const each = (issue.keys ?? []).map((key) => {
        const suggestion = suggest(key, path, context);
        return `"${key}" is not ${where}${suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`}`;
      });
      if (valid.length === 0) return `${each.join('; ')}; ${path.length === 0 ? `${context.toolName} takes no arguments` : `${label} takes no fields`}`;
      return `${each.join('; ')}; valid ${path.length === 0 ? 'arguments' : 'fields'}: ${valid.join(', ')}`;
    }
    case 'invalid_type': {
      const expected = field === undefined ? article(issue.expected ?? 'value') : expectation(field, issue.expected);
      if (value === undefined) return `${label} is required: ${expected}`;
      return `${label} must be ${expected} (got ${kindOf(value)} ${preview(value, 60)})`;
    }
    case 'invalid_value': {
      const values = (issue.values ?? []).map((item) => JSON.stringify(item));
      const suggestion = typeof value === 'string' ? nearest(value, (issue.values ?? []).map(String)) : undefined;
      return `${label} must be one of ${values.join(', ')} (got ${preview(value, 60)})${suggestion === undefined ? '' : `; did you mean "${suggestion}"?`}`;
    }
    case 'too_big':
    case 'too_small': {
      const bound = Number(issue.code === 'too_big' ? issue.maximum : issue.minimum);
      const side = issue.code === 'too_big' ? 'at most' : 'at least';
      if (issue.origin === 'array') return `${label} must have ${side} ${bound} item${bound === 1 ? '' : 's'} (got ${Array.isArray(value) ? value.length : 0})`;
      if (issue.origin === 'string') return `${label} must be ${side} ${bound} characters long (got ${typeof value === 'string' ? value.length : 0})`;
      return `${label} must be ${side} ${bound} (got ${preview(value, 60)})`;
    }
    case 'invalid_union': {
      // Report the branch the value was meant for: the one that did not fail on its kind alone.
      const branches = (issue.errors ?? []).filter((branch) => !(branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0));
      const [branch] = branches;
      if (branches.length === 1 && branch !== undefined) return describeIssues(branch, path, context).join('; ');
      const expected = field === undefined ? 'another kind of value' : expectation(field);
      return `${label} must be ${expected} (got ${kindOf(value)} ${preview(value, 60)})`;
    }
    default:
      return `${label}: ${issue.message}`;
  }
}

const WRAPPERS = new Set(['optional', 'default', 'nullable', 'readonly', 'prefault', 'catch', 'nonoptional']);

function unwrap(schema: Schema): Schema {
  let current = schema;
  for (let depth = 0; depth < 10 && WRAPPERS.has(current._zod.def.type) && current._zod.def.innerType !== undefined; depth += 1) {
    current = current._zod.def.innerType;
  }
  return current;
}

/** The schema of the value at `path`, through objects, arrays and (for objects) unions. */
function schemaAt(schema: Schema, path: PropertyKey[]): Schema | undefined {
  let current: Schema | undefined = schema;
  for (const step of path) {
    if (current === undefined) return undefined;
    const def: Schema['_zod']['def'] = unwrap(current)._zod.def;
    if (def.type === 'object') current = def.shape?.[String(step)];
    else if (def.type === 'array') current = def.element;
    else if (def.type === 'union') {
      const objects: Schema[] = (def.options ?? []).filter((option) => unwrap(option)._zod.def.type === 'object');
      current = objects.length === 1 && objects[0] !== undefined ? unwrap(objects[0])._zod.def.shape?.[String(step)] : undefined;
    } else return undefined;
  }
  return current;
}

/** What a schema accepts, in words: "a list (array), each item a string", "one of "a", "b"". */
function expectation(schema: Schema, expected?: string): string {
  const def = unwrap(schema)._zod.def;
  switch (def.type) {
    case 'string':
      return 'a string';
    case 'number':
      return expected === 'int' ? 'a whole number' : 'a number';
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${Object.values(def.entries ?? {})
        .map((item) => JSON.stringify(item))
        .join(', ')}`;
    case 'array':
      return def.element === undefined ? 'a list (array)' : `a list (array), each item ${expectation(def.element)}`;
    case 'object':
      return `an object {${Object.keys(def.shape ?? {}).join(', ')}}`;
    case 'union':
      return (def.options ?? []).map((option) => expectation(option)).join(' or ');
    default:
      return article(expected ?? def.type);
  }
}

function article(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number' && !Number.isInteger(value)) return 'the number';
  return typeof value === 'object' ? 'an object' : `the ${typeof value}`;
}

function labelOf(path: PropertyKey[]): string {
  if (path.length === 0) return 'the arguments';
  return path.map((step, index) => (typeof step === 'number' ? `[${step}]` : index === 0 ? String(step) : `.${String(step)}`)).join('');
}

function valueAt(value: unknown, path: PropertyKey[]): unknown {
  let current = value;
  for (const step of path) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, step)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[step];
  }
  return current;
}

/** The candidate a mistyped name most likely meant: same letters ignoring case and separators
 *  (runId → run_id), else within a small edit distance. */
export function nearest(word: string, candidates: string[]): string | undefined {
  const norm = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');
  const wanted = norm(word);
  if (wanted === '') return undefined;
  const exact = candidates.find((candidate) => norm(candidate) === wanted);
  if (exact !== undefined) return exact;
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, norm(candidate));
    if (distance <= Math.max(1, Math.floor(wanted.length / 4)) && (best === undefined || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return Number.POSITIVE_INFINITY;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? Number.POSITIVE_INFINITY;
}
