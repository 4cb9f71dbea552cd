/** A tiny element builder: text is always set as text (never parsed as HTML), so nothing from the API can inject markup. */
type Child = Node | string | number | null | undefined | false;

export function h(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) element.setAttribute(key, value);
  for (const child of children) if (child !== null && child !== undefined && child !== false) element.append(typeof child === 'object' ? child : String(child));
  return element;
}

export const badge = (status: string) => h('span', { class: `status status-${status}`, 'data-status': status }, status);

export function table(headers: string[], rows: Child[][]): HTMLElement {
  return h('table', {}, h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))), h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))));
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');
