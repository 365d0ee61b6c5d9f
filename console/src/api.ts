// SPDX-License-Identifier: Apache-2.0
// The APIs the console talks to, all on the page's own origin: X-Ray's restJson1 operations
// (POST /TraceSummaries, ...) and CloudWatch's awsJson1_0 (POST / with X-Amz-Target).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
  // The 1-based column a filter error names ("... at column 15"), if any.
  get column(): number | undefined {
    const m = /at column (\d+)/.exec(this.message);
    return m ? Number(m[1]) : undefined;
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  let type = `HTTP ${response.status}`;
  let message = response.statusText || type;
  try {
    const text = await response.text();
    try {
      const body = JSON.parse(text);
      message = body.message ?? body.Message ?? message;
      type = body.__type ?? response.headers.get('x-amzn-ErrorType') ?? type;
    } catch {
      if (text) message = text.slice(0, 300);
    }
  } catch {
    /* keep the status line */
  }
  type = type.split(':')[0].split('#').pop() ?? type;
  return new ApiError(response.status, type, message);
}

// One X-Ray operation: POST path with a JSON body.
export async function xray<T = any>(path: string, body: object = {}): Promise<T> {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await errorOf(response);
  const text = await response.text();
  return (text ? JSON.parse(text) : {}) as T;
}

// One CloudWatch operation in the awsJson1_0 protocol.
export async function cloudwatch<T = any>(operation: string, body: object = {}): Promise<T> {
  const response = await fetch('/', {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.0',
      'X-Amz-Target': `GraniteServiceVersion20100801.${operation}`,
    },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await errorOf(response);
  const text = await response.text();
  return (text ? JSON.parse(text) : {}) as T;
}

// ---- X-Ray shapes (the members the console reads) ----

export interface ErrorStatistics { ThrottleCount?: number; OtherCount?: number; TotalCount?: number }
export interface FaultStatistics { OtherCount?: number; TotalCount?: number }
export interface SummaryStatistics {
  OkCount?: number;
  ErrorStatistics?: ErrorStatistics;
  FaultStatistics?: FaultStatistics;
  TotalCount?: number;
  TotalResponseTime?: number;
}
export interface HistogramEntry { Value: number; Count: number }
export interface Edge {
  ReferenceId: number;
  StartTime?: number;
  EndTime?: number;
  SummaryStatistics?: SummaryStatistics;
  ResponseTimeHistogram?: HistogramEntry[];
  EdgeType?: string;
}
export interface Service {
  ReferenceId: number;
  Name?: string;
  Names?: string[];
  Root?: boolean;
  AccountId?: string;
  Type?: string;
  State?: string;
  StartTime?: number;
  EndTime?: number;
  Edges?: Edge[];
  SummaryStatistics?: SummaryStatistics;
  ResponseTimeHistogram?: HistogramEntry[];
  DurationHistogram?: HistogramEntry[];
}
export interface ServiceGraph { Services: Service[]; StartTime?: number; EndTime?: number; NextToken?: string }

export interface AnnotationValue { NumberValue?: number; StringValue?: string; BooleanValue?: boolean }
export interface ServiceId { Name?: string; Names?: string[]; AccountId?: string; Type?: string }
export interface TraceSummary {
  Id: string;
  StartTime?: number;
  Duration?: number;
  ResponseTime?: number;
  HasFault?: boolean;
  HasError?: boolean;
  HasThrottle?: boolean;
  IsPartial?: boolean;
  Http?: { HttpURL?: string; HttpStatus?: number; HttpMethod?: string; UserAgent?: string; ClientIp?: string };
  Annotations?: Record<string, { AnnotationValue: AnnotationValue; ServiceIds?: ServiceId[] }[]>;
  Users?: { UserName?: string }[];
  ServiceIds?: ServiceId[];
  EntryPoint?: ServiceId;
  Revision?: number;
  MatchedEventTime?: number;
}

export interface Group {
  GroupName: string;
  GroupARN: string;
  FilterExpression?: string;
  InsightsConfiguration?: { InsightsEnabled?: boolean; NotificationsEnabled?: boolean };
}

export interface SamplingRule {
  RuleName: string;
  RuleARN?: string;
  ResourceARN: string;
  Priority: number;
  FixedRate: number;
  ReservoirSize: number;
  ServiceName: string;
  ServiceType: string;
  Host: string;
  HTTPMethod: string;
  URLPath: string;
  Version: number;
  Attributes?: Record<string, string>;
}

export function annotationText(value: AnnotationValue): string {
  if (value.StringValue !== undefined) return value.StringValue;
  if (value.NumberValue !== undefined) return String(value.NumberValue);
  if (value.BooleanValue !== undefined) return String(value.BooleanValue);
  return '';
}

// GetTraceSummaries over up to `maxPages` pages.
export async function traceSummaries(
  start: number,
  end: number,
  filter: string,
  maxPages = 5,
  timeRangeType = 'Event',
): Promise<{ summaries: TraceSummary[]; processed: number; truncated: boolean }> {
  const summaries: TraceSummary[] = [];
  let processed = 0;
  let token: string | undefined;
  for (let page = 0; page < maxPages; ++page) {
    const body: Record<string, unknown> = { StartTime: start, EndTime: end, TimeRangeType: timeRangeType };
    if (filter.trim()) body.FilterExpression = filter;
    if (token) body.NextToken = token;
    const r = await xray<{ TraceSummaries?: TraceSummary[]; NextToken?: string; TracesProcessedCount?: number }>(
      '/TraceSummaries',
      body,
    );
    summaries.push(...(r.TraceSummaries ?? []));
    processed += r.TracesProcessedCount ?? 0;
    token = r.NextToken;
    if (!token) return { summaries, processed, truncated: false };
  }
  return { summaries, processed, truncated: true };
}

export async function serviceGraph(start: number, end: number, group: string): Promise<Service[]> {
  const services: Service[] = [];
  let token: string | undefined;
  for (let page = 0; page < 20; ++page) {
    const body: Record<string, unknown> = { StartTime: start, EndTime: end };
    if (group && group !== 'Default') body.GroupName = group;
    if (token) body.NextToken = token;
    const r = await xray<ServiceGraph>('/ServiceGraph', body);
    services.push(...(r.Services ?? []));
    token = r.NextToken;
    if (!token) break;
  }
  return services;
}

export async function groups(): Promise<Group[]> {
  const all: Group[] = [];
  let token: string | undefined;
  for (let page = 0; page < 10; ++page) {
    const r = await xray<{ Groups?: Group[]; NextToken?: string }>('/Groups', token ? { NextToken: token } : {});
    all.push(...(r.Groups ?? []));
    token = r.NextToken;
    if (!token) break;
  }
  return all;
}
