/**
 * GET /docs: the OpenAPI document as one readable HTML page, rendered here from
 * the document itself: operations grouped by tag (method, path, summary, who may
 * call it, request body, responses with their error codes), then every schema.
 *
 * Why not Swagger UI: its distribution package depends on an install-time
 * reporter (@scarf/scarf), which would run for anyone who installs the service.
 * This page needs no script and no package, and stays within the page's
 * Content-Security-Policy (self only, no script at all).
 */

type Json = Record<string, unknown>;

interface Operation {
  summary?: string;
  tags?: string[];
  security?: Record<string, unknown>[];
  requestBody?: { content?: Record<string, { schema?: Json }> };
  responses?: Record<string, { description?: string; 'x-error-codes'?: string[]; content?: Record<string, { schema?: Json }> }>;
}

interface Document {
  info: { title: string; version: string; description?: string };
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Json>; securitySchemes?: Record<string, { description?: string }> };
}

export const STYLESHEET = `body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:1rem auto;padding:0 1rem;color:#1b1b1b}
h2{border-bottom:1px solid #ccc;margin-top:2rem}
.op{border:1px solid #ddd;border-radius:4px;margin:.6rem 0;padding:.4rem .7rem}
.op summary{cursor:pointer}
.method{display:inline-block;min-width:4.5rem;font-weight:600;font-family:monospace}
.path{font-family:monospace}
pre{background:#f6f6f6;padding:.5rem;overflow-x:auto;font-size:13px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}
`;

const escapeHtml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const schemaName = (schema: Json | undefined): string | undefined => {
  const ref = schema?.$ref;
  return typeof ref === 'string' ? ref.replace('#/components/schemas/', '') : undefined;
};

const schemaLink = (schema: Json | undefined): string => {
  const name = schemaName(schema);
  if (name) return `<a href="#schema-${escapeHtml(name)}">${escapeHtml(name)}</a>`;
  return schema ? `<code>${escapeHtml(JSON.stringify(schema))}</code>` : '';
};

function renderOperation(method: string, path: string, operation: Operation): string {
  const who = (operation.security ?? []).flatMap((s) => Object.keys(s)).join(' or ') || 'anyone';
  const body = Object.entries(operation.requestBody?.content ?? {})
    .map(([type, media]) => `<p>Request body (${escapeHtml(type)}): ${schemaLink(media.schema)}</p>`).join('');
  const responses = Object.entries(operation.responses ?? {}).map(([status, response]) => {
    const codes = response['x-error-codes']?.join(', ');
    const schema = Object.values(response.content ?? {})[0]?.schema;
    return `<tr><td>${escapeHtml(status)}</td><td>${escapeHtml(codes ?? response.description ?? '')}</td><td>${schemaLink(schema)}</td></tr>`;
  }).join('');
  return `<details class="op"><summary><span class="method">${method.toUpperCase()}</span> <span class="path">${escapeHtml(path)}</span> — ${escapeHtml(operation.summary ?? '')}</summary>
<p>Credential: ${escapeHtml(who)}</p>${body}
<table><tr><th>status</th><th>error codes / meaning</th><th>body</th></tr>${responses}</table></details>`;
}

/** The whole page for one OpenAPI document. */
export function renderReferencePage(document: Document): string {
  const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, operation })));
  const tags = [...(document.tags ?? []), { name: 'other', description: '' }];
  const sections = tags.map((tag) => {
    const inTag = operations.filter(({ operation }) => (operation.tags?.[0] ?? 'other') === tag.name);
    if (inTag.length === 0) return '';
    return `<h2 id="tag-${escapeHtml(tag.name)}">${escapeHtml(tag.name)}</h2><p>${escapeHtml(tag.description ?? '')}</p>
${inTag.map(({ path, method, operation }) => renderOperation(method, path, operation)).join('\n')}`;
  }).join('\n');
  const credentials = Object.entries(document.components?.securitySchemes ?? {})
    .map(([name, scheme]) => `<li><b>${escapeHtml(name)}</b>: ${escapeHtml(scheme.description ?? '')}</li>`).join('');
  const schemas = Object.entries(document.components?.schemas ?? {})
    .map(([name, schema]) => `<details class="op" id="schema-${escapeHtml(name)}"><summary class="path">${escapeHtml(name)}</summary><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></details>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(document.info.title)} API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/docs/style.css"></head>
<body><h1>${escapeHtml(document.info.title)} ${escapeHtml(document.info.version)} API reference</h1>
<p>${escapeHtml(document.info.description ?? '')}</p>
<p>The machine-readable document: <a href="/openapi.json">/openapi.json</a>.</p>
<h2>Credentials</h2><ul>${credentials}</ul>
${sections}
<h2 id="schemas">Schemas</h2>
${schemas}
</body></html>
`;
}
