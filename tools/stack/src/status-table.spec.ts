import { formatStatusTable } from './status-table';

describe('formatStatusTable', () => {
  it('prints one aligned line per component with streaming and lag for replicas', () => {
    const table = formatStatusTable([
      { component: 'redis', port: 6379, pid: 2206, owner: 'other', state: 'running' },
      { component: 'primary', port: 5433, pid: 19249, owner: 'this clone', state: 'running' },
      { component: 'replica-1', port: 5434, pid: 19283, owner: 'this clone', state: 'running', streaming: true, lagBytes: 0 },
      { component: 'replica-2', port: 5435, state: 'stopped', streaming: false },
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatch(/^component\s+port\s+pid\s+owner\s+state\s+streaming\s+lag bytes\s+note$/);
    expect(lines[3]).toMatch(/^replica-1\s+5434\s+19283\s+this clone\s+running\s+yes\s+0$/);
    expect(lines[4]).toMatch(/^replica-2\s+5435\s+-\s+-\s+stopped\s+no$/);
    // Columns line up: each row's port starts under the header's.
    for (const [i, port] of ['6379', '5433', '5434', '5435'].entries()) {
      expect(lines[i + 1].indexOf(port)).toBe(lines[0].indexOf('port'));
    }
  });
});
