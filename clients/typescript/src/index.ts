/**
 * A thin typed client for regflow's native flows.
 *
 * Requests are typed by the OpenAPI document (`src/schema.d.ts`, generated with
 * openapi-typescript by `make client`) and sent with openapi-fetch. regflow's OpenAPI
 * declares its answers as free-form objects, so the shapes below (`Registration`,
 * `Completion`, `Session`) state what the API answers today, as the README documents.
 * Every error answer is an RFC 9457 problem, thrown as {@link RegflowError}.
 */
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

export type { components, paths };
export type StartRequest = components["schemas"]["StartRequest"];
export type LoginRequest = components["schemas"]["LoginRequest"];

export type Channel = "email" | "phone";

export interface StepView {
  name: string;
  title: string;
  phase: number;
  fields: { name: string; type: string; required: boolean }[];
  verifications: Channel[];
  done: boolean;
}

export interface PendingVerification {
  channel: Channel;
  target: string; // masked: a***@example.com
  expires_at: string;
  resend_available_at: string;
}

/** The state of a registration (`POST /v1/registrations` and every step after it). */
export interface Registration {
  id: string;
  flow: string;
  status: "active" | "completed" | "expired";
  step: string;
  steps: StepView[];
  progress: { current: number; total: number };
  verified: Record<Channel, boolean>;
  pending_verification: PendingVerification | null;
  variant: string | null;
  expires_at: string;
  /** Only in the answer that started the registration: keep it, it opens the registration. */
  token?: string;
}

export interface Account {
  id: string;
  email: string;
  email_verified: boolean;
  username: string | null;
  first_name: string | null;
  last_name: string | null;
  created_at: string;
}

export interface AccessToken {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
}

export interface Completion extends AccessToken {
  account: Account;
  organization: { id: string; name: string; slug: string } | null;
  membership: { id: string; role: string; status: string } | null;
}

export interface Session extends AccessToken {
  organizations?: { id: string; name: string; role: string }[];
}

/** An RFC 9457 problem (`application/problem+json`). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { field: string; code: string; message: string }[];
}

export class RegflowError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.name = "RegflowError";
    this.status = problem.status;
    this.problem = problem;
  }

  /** The message for one field (422 answers), to show next to it. */
  fieldMessage(field: string): string | undefined {
    return this.problem.errors?.find((e) => e.field === field)?.message;
  }
}

interface Answer {
  data?: unknown;
  error?: unknown;
  response: Response;
}

function unwrap<T>({ data, error, response }: Answer): T {
  if (error !== undefined || !response.ok) {
    const problem = (error ?? {}) as Partial<Problem>;
    throw new RegflowError({
      type: problem.type ?? "about:blank",
      title: problem.title ?? response.statusText,
      status: problem.status ?? response.status,
      detail: problem.detail ?? response.statusText,
      code: problem.code ?? "HTTP_ERROR",
      ...(problem.errors ? { errors: problem.errors } : {}),
    });
  }
  return data as T;
}

export interface ClientOptions {
  /** Another fetch (tests, server-side rendering); the global one by default. */
  fetch?: typeof fetch;
}

/** One registration in progress: every call carries its bearer token. */
export class RegistrationSession {
  constructor(
    private readonly api: ReturnType<typeof createClient<paths>>,
    readonly id: string,
    readonly token: string,
  ) {}

  private get header() {
    return { authorization: `Bearer ${this.token}` };
  }

  async state(): Promise<Registration> {
    return unwrap(
      await this.api.GET("/v1/registrations/{registration_id}", {
        params: { path: { registration_id: this.id }, header: this.header },
      }),
    );
  }

  /** Submit one step's fields; a 422 throws with a message per field. */
  async submit(step: string, fields: Record<string, unknown>): Promise<Registration> {
    return unwrap(
      await this.api.POST("/v1/registrations/{registration_id}/steps/{step}", {
        params: { path: { registration_id: this.id, step }, header: this.header },
        body: fields,
      }),
    );
  }

  /** Send (or resend, after `resend_available_at`) a code to the address of a step. */
  async sendCode(channel: Channel = "email"): Promise<{ resend_available_at: string }> {
    return unwrap(
      await this.api.POST("/v1/registrations/{registration_id}/verifications/{channel}", {
        params: { path: { registration_id: this.id, channel }, header: this.header },
      }),
    );
  }

  async confirm(code: string, channel: Channel = "email"): Promise<Registration> {
    return unwrap(
      await this.api.POST("/v1/registrations/{registration_id}/verifications/{channel}/confirm", {
        params: { path: { registration_id: this.id, channel }, header: this.header },
        body: { code },
      }),
    );
  }

  /** Create the account (and membership) and sign in; safe to retry with the same key. */
  async complete(idempotencyKey: string = crypto.randomUUID()): Promise<Completion> {
    return unwrap(
      await this.api.POST("/v1/registrations/{registration_id}/complete", {
        params: {
          path: { registration_id: this.id },
          header: { ...this.header, "idempotency-key": idempotencyKey },
        },
      }),
    );
  }
}

/** `createRegflowClient("https://id.example.com")`: the native flows, typed. */
export function createRegflowClient(baseUrl: string, options: ClientOptions = {}) {
  const api = createClient<paths>({ baseUrl, ...(options.fetch ? { fetch: options.fetch } : {}) });
  return {
    /** The raw openapi-fetch client, for every other route. */
    api,
    async start(request: StartRequest): Promise<{ registration: Registration; session: RegistrationSession }> {
      const registration = unwrap<Registration>(await api.POST("/v1/registrations", { body: request }));
      if (!registration.token) {
        throw new Error("regflow answered a start without a registration token");
      }
      return { registration, session: new RegistrationSession(api, registration.id, registration.token) };
    },
    /** Pick up a registration whose id and token you kept. */
    resume(id: string, token: string): RegistrationSession {
      return new RegistrationSession(api, id, token);
    },
    async login(request: LoginRequest): Promise<Session> {
      return unwrap(await api.POST("/v1/sessions", { body: request }));
    },
    async usernameAvailability(name: string): Promise<{ available: boolean; suggestions: string[] }> {
      return unwrap(await api.GET("/v1/usernames/{name}/availability", { params: { path: { name } } }));
    },
  };
}

export type RegflowClient = ReturnType<typeof createRegflowClient>;
