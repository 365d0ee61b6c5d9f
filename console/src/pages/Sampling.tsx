// SPDX-License-Identifier: Apache-2.0
// Sampling rules: list, create, edit, delete, with the rules' constraints checked before
// sending and the server's messages shown.
import { useState } from 'preact/hooks';
import { xray } from '../api';
import type { SamplingRule } from '../api';
import type { PageProps } from '../main';
import { confirmDelete, useAsync } from '../util';

interface Record_ { SamplingRule: SamplingRule; CreatedAt?: number; ModifiedAt?: number }

const EMPTY: SamplingRule = {
  RuleName: '', ResourceARN: '*', Priority: 1000, FixedRate: 0.05, ReservoirSize: 1, ServiceName: '*',
  ServiceType: '*', Host: '*', HTTPMethod: '*', URLPath: '*', Version: 1, Attributes: {},
};

export function validateRule(r: SamplingRule, isNew: boolean): Record<string, string> {
  const errors: Record<string, string> = {};
  if (isNew && !/^[A-Za-z0-9_-]{1,32}$/.test(r.RuleName)) errors.RuleName = 'Names are 1-32 characters of letters, digits, _ and -.';
  if (isNew && r.RuleName === 'Default') errors.RuleName = 'Default is reserved.';
  if (r.RuleName !== 'Default' && (!Number.isInteger(r.Priority) || r.Priority < 1 || r.Priority > 9999)) errors.Priority = 'Priority is an integer from 1 to 9999.';
  if (!(r.FixedRate >= 0 && r.FixedRate <= 1)) errors.FixedRate = 'The fixed rate is between 0 and 1.';
  if (!Number.isInteger(r.ReservoirSize) || r.ReservoirSize < 0) errors.ReservoirSize = 'The reservoir is a whole number of traces per second, 0 or more.';
  for (const f of ['ServiceName', 'ServiceType', 'Host', 'HTTPMethod', 'URLPath', 'ResourceARN'] as const) if (!r[f]) errors[f] = 'Required (use * for any).';
  if (Object.keys(r.Attributes ?? {}).length > 5) errors.Attributes = 'At most 5 attributes.';
  return errors;
}

const FIELDS: { key: keyof SamplingRule; label: string; kind: 'text' | 'int' | 'rate' }[] = [
  { key: 'RuleName', label: 'Name', kind: 'text' },
  { key: 'Priority', label: 'Priority', kind: 'int' },
  { key: 'ReservoirSize', label: 'Reservoir (traces/s)', kind: 'int' },
  { key: 'FixedRate', label: 'Fixed rate (0-1)', kind: 'rate' },
  { key: 'ServiceName', label: 'Service name', kind: 'text' },
  { key: 'ServiceType', label: 'Service type', kind: 'text' },
  { key: 'Host', label: 'Host', kind: 'text' },
  { key: 'HTTPMethod', label: 'HTTP method', kind: 'text' },
  { key: 'URLPath', label: 'URL path', kind: 'text' },
  { key: 'ResourceARN', label: 'Resource ARN', kind: 'text' },
];

function RuleForm({ rule, onDone }: { rule: SamplingRule | null; onDone: (changed: boolean) => void }) {
  const isNew = rule === null;
  const [draft, setDraft] = useState<SamplingRule>(rule ?? EMPTY);
  const [attributes, setAttributes] = useState(Object.entries(rule?.Attributes ?? {}).map(([k, v]) => `${k}=${v}`).join('\n'));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [serverError, setServerError] = useState<string | null>(null);
  const isDefault = rule?.RuleName === 'Default';
  const set = (key: keyof SamplingRule, kind: string, text: string) =>
    setDraft({ ...draft, [key]: kind === 'text' ? text : text.trim() === '' ? NaN : Number(text) });
  const save = async () => {
    const attrs: Record<string, string> = {};
    for (const line of attributes.split('\n').map((l) => l.trim()).filter(Boolean)) {
      const i = line.indexOf('=');
      if (i > 0) attrs[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    const full = { ...draft, Attributes: attrs };
    const problems = validateRule(full, isNew);
    setErrors(problems);
    if (Object.keys(problems).length) return;
    try {
      if (isNew) {
        await xray('/CreateSamplingRule', { SamplingRule: full });
      } else {
        const update: Record<string, unknown> = { RuleName: full.RuleName, FixedRate: full.FixedRate, ReservoirSize: full.ReservoirSize };
        if (!isDefault) Object.assign(update, { Priority: full.Priority, ServiceName: full.ServiceName, ServiceType: full.ServiceType, Host: full.Host, HTTPMethod: full.HTTPMethod, URLPath: full.URLPath, ResourceARN: full.ResourceARN, Attributes: attrs });
        await xray('/UpdateSamplingRule', { SamplingRuleUpdate: update });
      }
      onDone(true);
    } catch (e) {
      setServerError((e as Error).message);
    }
  };
  return (
    <form class="card form grid-form" data-testid="rule-form" onSubmit={(e) => { e.preventDefault(); save(); }}>
      <h2>{isNew ? 'New sampling rule' : `Edit ${rule!.RuleName}`}</h2>
      {FIELDS.map((f) => {
        const locked = (f.key === 'RuleName' && !isNew) || (isDefault && f.key !== 'FixedRate' && f.key !== 'ReservoirSize');
        const value = draft[f.key] as string | number;
        return (
          <label>
            {f.label}
            <input name={f.key} disabled={locked} value={typeof value === 'number' && Number.isNaN(value) ? '' : String(value)} onInput={(e) => set(f.key, f.kind, e.currentTarget.value)} aria-invalid={!!errors[f.key]} />
            {errors[f.key] && <span class="field-error" data-testid={`error-${f.key}`}>{errors[f.key]}</span>}
          </label>
        );
      })}
      <label class="wide">
        Attributes (key=value, one a line)
        <textarea name="Attributes" disabled={isDefault} rows={3} value={attributes} onInput={(e) => setAttributes(e.currentTarget.value)} />
        {errors.Attributes && <span class="field-error">{errors.Attributes}</span>}
      </label>
      {serverError && <div class="banner error wide" role="alert" data-testid="form-error">{serverError}</div>}
      <div class="actions wide">
        <button type="button" onClick={() => onDone(false)}>Cancel</button>
        <button type="submit" class="primary" data-testid="save-rule">{isNew ? 'Create rule' : 'Save'}</button>
      </div>
    </form>
  );
}

export default function Sampling(_props: PageProps) {
  const list = useAsync(async () => {
    const all: Record_[] = [];
    let token: string | undefined;
    for (let page = 0; page < 10; ++page) {
      const r = await xray<{ SamplingRuleRecords?: Record_[]; NextToken?: string }>('/GetSamplingRules', token ? { NextToken: token } : {});
      all.push(...(r.SamplingRuleRecords ?? []));
      token = r.NextToken;
      if (!token) break;
    }
    return all.sort((a, b) => a.SamplingRule.Priority - b.SamplingRule.Priority);
  }, []);
  const [form, setForm] = useState<SamplingRule | null | 'new'>(null);
  const [message, setMessage] = useState<string | null>(null);
  const remove = (r: SamplingRule) =>
    confirmDelete('sampling rule', r.RuleName, () => xray('/DeleteSamplingRule', { RuleName: r.RuleName }), setMessage, list.reload);
  return (
    <div class="page">
      <div class="page-head">
        <h1>Sampling rules</h1>
        <span class="muted">the SDKs ask for these through GetSamplingRules and SamplingTargets</span>
        <span class="grow" />
        <button class="primary" data-testid="new-rule" onClick={() => { setForm('new'); setMessage(null); }}>New rule</button>
      </div>
      {message && <div class="banner">{message}</div>}
      {list.error && <div class="banner error">{list.error.message}</div>}
      {form !== null && (
        <RuleForm key={form === 'new' ? 'new' : form.RuleName} rule={form === 'new' ? null : form} onDone={(changed) => { setForm(null); if (changed) { setMessage('Saved.'); list.reload(); } }} />
      )}
      {list.value && (
        <table class="list" data-testid="rule-list">
          <thead><tr><th class="num">Priority</th><th>Name</th><th>Reservoir</th><th>Rate</th><th>Service</th><th>Type</th><th>Host</th><th>Method</th><th>URL path</th><th /></tr></thead>
          <tbody>
            {list.value.map(({ SamplingRule: r }) => (
              <tr data-testid="rule-row" data-rule={r.RuleName}>
                <td class="num">{r.Priority}</td><td>{r.RuleName}</td><td>{r.ReservoirSize}/s</td><td>{(r.FixedRate * 100).toFixed(1)} %</td>
                <td>{r.ServiceName}</td><td>{r.ServiceType}</td><td>{r.Host}</td><td>{r.HTTPMethod}</td><td class="mono">{r.URLPath}</td>
                <td class="actions">
                  <button onClick={() => { setForm(r); setMessage(null); }}>Edit</button>
                  {r.RuleName !== 'Default' && <button class="danger" onClick={() => remove(r)}>Delete</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
