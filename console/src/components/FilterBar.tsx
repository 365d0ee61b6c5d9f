// SPDX-License-Identifier: Apache-2.0
// The filter-expression bar: monospace input, completion of keywords, service names and
// annotation keys, and the server's syntax error shown under the column it names.
import { useMemo, useRef, useState } from 'preact/hooks';

export const KEYWORDS = [
  'service(', 'edge(', 'id(', 'annotation.', 'annotation[', 'responsetime', 'duration',
  'http.status', 'http.url', 'http.method', 'http.useragent', 'http.clientip', 'ok', 'error',
  'fault', 'throttle', 'partial', 'inferred', 'user', 'availabilityzone', 'instance.id',
  'resource.arn', 'group.name', 'group.arn', 'rootcause.fault.service', 'rootcause.error.service',
  'rootcause.responsetime.service', 'AND', 'OR', 'NOT', 'CONTAINS', 'BEGINSWITH', 'ENDSWITH',
];

export interface Suggestion {
  label: string; // what the list shows
  insert: string; // what replaces the word being typed
  kind: 'keyword' | 'service' | 'annotation';
}

// The word before the caret and what completes it.
export function suggest(text: string, caret: number, services: string[], annotationKeys: string[]): { from: number; items: Suggestion[] } {
  const before = text.slice(0, caret);
  // inside service(" or edge(" ... a quoted name
  const quoted = /(service|edge)\(\s*(?:[^()]*,\s*)?"([^"]*)$/.exec(before);
  if (quoted) {
    const typed = quoted[2];
    const from = caret - typed.length;
    const items = services
      .filter((s) => s.toLowerCase().startsWith(typed.toLowerCase()) && s !== typed)
      .slice(0, 12)
      .map((s) => ({ label: s, insert: s + '")', kind: 'service' as const }));
    return { from, items };
  }
  const annotation = /annotation\.([A-Za-z0-9_]*)$/.exec(before);
  if (annotation) {
    const typed = annotation[1];
    const from = caret - typed.length;
    const items = annotationKeys
      .filter((k) => k.startsWith(typed) && k !== typed)
      .slice(0, 12)
      .map((k) => ({ label: 'annotation.' + k, insert: k, kind: 'annotation' as const }));
    return { from, items };
  }
  const word = /[A-Za-z_][A-Za-z0-9_.\[]*$/.exec(before);
  if (!word) return { from: caret, items: [] };
  const typed = word[0];
  const from = caret - typed.length;
  const lower = typed.toLowerCase();
  const items: Suggestion[] = KEYWORDS.filter((k) => k.toLowerCase().startsWith(lower) && k.toLowerCase() !== lower).map((k) => ({
    label: k,
    insert: k === 'service(' || k === 'edge(' ? k + '"' : k,
    kind: 'keyword',
  }));
  return { from, items: items.slice(0, 12) };
}

export function FilterBar(props: {
  value: string;
  onSubmit: (value: string) => void;
  error?: { message: string; column?: number } | null;
  services?: string[];
  annotationKeys?: string[];
  placeholder?: string;
  testId?: string;
}) {
  const [text, setText] = useState(props.value);
  const [caret, setCaret] = useState(props.value.length);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [lastValue, setLastValue] = useState(props.value);
  const input = useRef<HTMLInputElement>(null);
  if (props.value !== lastValue) {
    setLastValue(props.value);
    setText(props.value);
  }
  const { from, items } = useMemo(
    () => suggest(text, caret, props.services ?? [], props.annotationKeys ?? []),
    [text, caret, props.services, props.annotationKeys],
  );
  const shown = open && items.length > 0;

  const accept = (item: Suggestion) => {
    const next = text.slice(0, from) + item.insert + text.slice(caret);
    const pos = from + item.insert.length;
    setText(next);
    setCaret(pos);
    setActive(0);
    // Synchronously, so that keys typed right after land after the completion.
    if (input.current) {
      input.current.value = next;
      input.current.focus();
      input.current.setSelectionRange(pos, pos);
    }
  };

  const errorColumn = props.error?.column;
  const showError = props.error && text === props.value;
  return (
    <div class="filterbar" data-testid={props.testId ?? 'filter-bar'}>
      <div class="filter-input-wrap">
        <input
          ref={input}
          class={'filter-input' + (showError ? ' invalid' : '')}
          aria-label="Filter expression"
          aria-invalid={showError ? 'true' : 'false'}
          spellcheck={false}
          autocomplete="off"
          placeholder={props.placeholder ?? 'filter expression, e.g. service("order-processor") AND responsetime > 1'}
          value={text}
          onInput={(e) => {
            const el = e.currentTarget;
            setText(el.value);
            setCaret(el.selectionStart ?? el.value.length);
            setOpen(true);
            setActive(0);
          }}
          onKeyUp={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onClick={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onBlur={() => setTimeout(() => setOpen(false), 150)}
          onKeyDown={(e) => {
            if (shown && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
              e.preventDefault();
              setActive((a) => (a + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length);
            } else if (shown && e.key === 'Tab') {
              e.preventDefault();
              accept(items[active] ?? items[0]);
            } else if (e.key === 'Enter') {
              setOpen(false);
              props.onSubmit(text);
            } else if (e.key === 'Escape') {
              setOpen(false);
            }
          }}
        />
        {showError && errorColumn !== undefined && (
          <div class="filter-error-marker" data-testid="filter-error-marker" data-column={errorColumn}
            style={{ left: `calc(${Math.min(errorColumn - 1, text.length) + 0.5}ch + 9px)` }} title={props.error!.message}>
            ▲
          </div>
        )}
        {shown && (
          <ul class="completions" role="listbox" data-testid="completions">
            {items.map((item, i) => (
              <li
                role="option"
                aria-selected={i === active}
                class={(i === active ? 'active ' : '') + item.kind}
                onMouseDown={(e) => {
                  e.preventDefault();
                  accept(item);
                }}
              >
                {item.label}
                <span class="kind">{item.kind}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
      <button class="primary" onClick={() => props.onSubmit(text)}>Run</button>
      {showError && (
        <div class="filter-error" role="alert" data-testid="filter-error">
          {props.error!.message}
        </div>
      )}
    </div>
  );
}
