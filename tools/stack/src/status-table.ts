export interface StatusRow {
  component: string;
  port: number;
  pid?: number;
  owner?: string;
  state: string;
  streaming?: boolean;
  lagBytes?: number;
  note?: string;
}

const COLUMNS = ['component', 'port', 'pid', 'owner', 'state', 'streaming', 'lag bytes', 'note'] as const;

/** A plain-text table with one line per component, columns padded to their widest cell. */
export function formatStatusTable(rows: readonly StatusRow[]): string {
  const cells = rows.map((row) => [
    row.component,
    String(row.port),
    row.pid === undefined ? '-' : String(row.pid),
    row.owner ?? '-',
    row.state,
    row.streaming === undefined ? '' : row.streaming ? 'yes' : 'no',
    row.lagBytes === undefined ? '' : String(row.lagBytes),
    row.note ?? '',
  ]);
  const widths = COLUMNS.map((title, i) => Math.max(title.length, ...cells.map((c) => c[i].length)));
  const line = (values: readonly string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd();
  return [line(COLUMNS), ...cells.map(line)].join('\n');
}
