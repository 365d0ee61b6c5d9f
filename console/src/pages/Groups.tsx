// SPDX-License-Identifier: Apache-2.0
// X-Ray groups: list, create, edit (filter and insights settings), delete. The server's
// validation messages (bad name, filter errors with their column, ...) are shown in the form.
import { useState } from 'preact/hooks';
import { ApiError, groups as listGroups, xray } from '../api';
import type { Group } from '../api';
import { FilterBar } from '../components/FilterBar';
import type { PageProps } from '../main';
import { href } from '../route';
import { confirmDelete, useAsync } from '../util';

const NAME = /^[A-Za-z0-9_-]{1,32}$/;

export function validateGroupName(name: string): string | null {
  if (!name) return 'A name is required.';
  if (!NAME.test(name)) return 'Names are 1-32 characters of letters, digits, _ and -.';
  if (name === 'Default') return 'Default is reserved.';
  return null;
}

function GroupForm({ group, onDone }: { group: Group | null; onDone: (changed: boolean) => void }) {
  const [name, setName] = useState(group?.GroupName ?? '');
  const [filter, setFilter] = useState(group?.FilterExpression ?? '');
  const [insights, setInsights] = useState(group?.InsightsConfiguration?.InsightsEnabled ?? false);
  const [notifications, setNotifications] = useState(group?.InsightsConfiguration?.NotificationsEnabled ?? false);
  const [error, setError] = useState<{ message: string; column?: number; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const isDefault = group?.GroupName === 'Default';

  const save = async (filterText = filter) => {
    setFilter(filterText);
    if (!group) {
      const problem = validateGroupName(name);
      if (problem) return setError({ message: problem, field: 'name' });
    }
    if (notifications && !insights) return setError({ message: 'Notifications need insights enabled.', field: 'insights' });
    setBusy(true);
    try {
      const config = { InsightsEnabled: insights, NotificationsEnabled: notifications };
      if (group) {
        const body: Record<string, unknown> = { GroupARN: group.GroupARN, InsightsConfiguration: config };
        if (!isDefault) body.FilterExpression = filterText;
        await xray('/UpdateGroup', body);
      } else {
        const body: Record<string, unknown> = { GroupName: name, InsightsConfiguration: config };
        if (filterText.trim()) body.FilterExpression = filterText;
        await xray('/CreateGroup', body);
      }
      onDone(true);
    } catch (e) {
      const column = e instanceof ApiError ? e.column : undefined;
      setError({ message: (e as Error).message, column, field: column !== undefined ? 'filter' : undefined });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card form" data-testid="group-form" onSubmit={(e) => { e.preventDefault(); save(); }}>
      <h2>{group ? `Edit ${group.GroupName}` : 'New group'}</h2>
      <label>
        Name
        <input name="GroupName" value={name} disabled={!!group} onInput={(e) => setName(e.currentTarget.value)} aria-invalid={error?.field === 'name'} />
      </label>
      {!isDefault && (
        <label class="block">
          Filter expression <span class="muted">(empty: every trace)</span>
          <FilterBar testId="group-filter" value={filter} error={error?.field === 'filter' ? error : null} onSubmit={(v) => save(v)} placeholder='e.g. responsetime > 2 or service("order-processor")' />
        </label>
      )}
      <label class="check"><input type="checkbox" name="InsightsEnabled" checked={insights} onChange={(e) => setInsights(e.currentTarget.checked)} /> Insights enabled</label>
      <label class="check"><input type="checkbox" name="NotificationsEnabled" checked={notifications} onChange={(e) => setNotifications(e.currentTarget.checked)} /> Insight notifications</label>
      {error && error.field !== 'filter' && <div class="banner error" role="alert" data-testid="form-error">{error.message}</div>}
      <div class="actions">
        <button type="button" onClick={() => onDone(false)}>Cancel</button>
        <button type="button" class="primary" disabled={busy} data-testid="save-group" onClick={() => {
          const input = document.querySelector<HTMLInputElement>('[data-testid="group-filter"] input');
          save(input ? input.value : filter);
        }}>{group ? 'Save' : 'Create group'}</button>
      </div>
    </form>
  );
}

export default function Groups({ route }: PageProps) {
  const list = useAsync(listGroups, []);
  const editing = route.params.get('edit');
  const [form, setForm] = useState<Group | null | 'new'>(null);
  const [message, setMessage] = useState<string | null>(null);
  const current = form === 'new' ? null : form ?? (editing ? list.value?.find((g) => g.GroupName === editing) ?? null : null);
  const showForm = form !== null || (editing && current);
  const remove = (g: Group) =>
    confirmDelete('group', g.GroupName, () => xray('/DeleteGroup', { GroupARN: g.GroupARN }), setMessage, list.reload);
  return (
    <div class="page">
      <div class="page-head">
        <h1>Groups</h1>
        <span class="muted">named filters: the map, the traces and insights can be narrowed to a group</span>
        <span class="grow" />
        <button class="primary" data-testid="new-group" onClick={() => { setForm('new'); setMessage(null); }}>New group</button>
      </div>
      {message && <div class="banner" data-testid="groups-message">{message}</div>}
      {list.error && <div class="banner error">{list.error.message}</div>}
      {showForm && (
        <GroupForm
          key={current?.GroupName ?? 'new'}
          group={current}
          onDone={(changed) => {
            setForm(null);
            if (changed) {
              setMessage('Saved.');
              list.reload();
            }
          }}
        />
      )}
      {list.value && (
        <table class="list" data-testid="group-list">
          <thead><tr><th>Name</th><th>Filter expression</th><th>Insights</th><th /></tr></thead>
          <tbody>
            {list.value.map((g) => (
              <tr data-testid="group-row" data-group={g.GroupName}>
                <td><a href={href('map', { group: g.GroupName === 'Default' ? undefined : g.GroupName })}>{g.GroupName}</a></td>
                <td class="mono">{g.FilterExpression ?? (g.GroupName === 'Default' ? 'every trace' : '')}</td>
                <td>{g.InsightsConfiguration?.InsightsEnabled ? 'on' : 'off'}{g.InsightsConfiguration?.NotificationsEnabled ? ' · notifications' : ''}</td>
                <td class="actions">
                  <button onClick={() => { setForm(g); setMessage(null); }}>Edit</button>
                  {g.GroupName !== 'Default' && <button class="danger" onClick={() => remove(g)}>Delete</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
