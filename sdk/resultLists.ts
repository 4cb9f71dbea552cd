/** Result lists that index like arrays and print as tables: function search results, endpoint lists. */
import { TableArray, type Column } from './table.js';
import type { FunctionSummary, EndpointSummary } from './types.js';

export class FunctionSearchResults extends TableArray<FunctionSummary> {
  /** All matches, of which this page holds `length` from `offset`. */
  total = 0;
  offset = 0;
  limit = 0;

  static fromPage(page: { total: number; offset: number; limit: number; functions: FunctionSummary[] }): FunctionSearchResults {
    const results = new FunctionSearchResults();
    results.push(...page.functions);
    results.total = page.total;
    results.offset = page.offset;
    results.limit = page.limit;
    return results;
  }

  protected columns(): Column<FunctionSummary>[] {
    return [
      { header: 'function_uuid', value: (f) => f.function_uuid },
      { header: 'name', value: (f) => f.name, maxWidth: 30 },
      { header: 'runtime', value: (f) => f.runtime },
      { header: 'owner', value: (f) => f.owner, maxWidth: 20 },
      { header: 'description', value: (f) => f.description, maxWidth: 40 },
    ];
  }

  override toString(): string {
    const shown = this.length === 0 ? 'no matches' : `${this.offset + 1}-${this.offset + this.length} of ${this.total}`;
    return `${super.toString()}\n(${shown})`;
  }
}

/** `Client.listEndpoints`'s answer: an array of endpoints, printed as a table. */
export class EndpointList extends TableArray<EndpointSummary> {
  static fromList(endpoints: EndpointSummary[]): EndpointList {
    const list = new EndpointList();
    list.push(...endpoints);
    return list;
  }

  protected columns(): Column<EndpointSummary>[] {
    return [
      { header: 'endpoint_id', value: (e) => e.endpoint_id },
      { header: 'name', value: (e) => e.display_name || e.name, maxWidth: 30 },
      { header: 'status', value: (e) => e.status },
      { header: 'owner', value: (e) => e.owner, maxWidth: 20 },
      { header: 'public', value: (e) => e.public },
      // A per-user endpoint of a multi-user endpoint names it; a multi-user endpoint says so.
      { header: 'parent', value: (e) => e.parent_endpoint_id ?? (e.multi_user ? '(multi-user)' : '') },
    ];
  }
}
