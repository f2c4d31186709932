// The member flow against a regflow on a real port (REGFLOW_URL), the code read from the
// dev mailbox (/dev/mailbox.json) the way a person reads their mail. Run by `make test`
// (tests/e2e/test_typescript_client.py), which starts the service and sets REGFLOW_URL.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { createRegflowClient, RegflowError } from "../src/index.js";

const baseUrl = process.env.REGFLOW_URL;
const PASSWORD = "correct horse battery staple";

interface MailboxEntry {
  recipient: string;
  code: string | null;
}

async function codeFor(email: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const mails = (await (await fetch(`${baseUrl}/dev/mailbox.json`)).json()) as MailboxEntry[];
    const code = mails.find((m) => m.recipient === email && m.code)?.code;
    if (code) {
      return code;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no code for ${email} in the dev mailbox`);
}

test("a member signs up and logs in", { skip: !baseUrl && "REGFLOW_URL is not set" }, async () => {
  const client = createRegflowClient(String(baseUrl));
  const run = randomUUID().slice(0, 8);
  const email = `ts-${run}@example.com`;

  const { registration, session } = await client.start({ flow: "member" });
  assert.equal(registration.step, "email");
  assert.equal(registration.progress.total, 3);

  const sent = await session.submit("email", { email });
  assert.equal(sent.pending_verification?.channel, "email");

  const wrong = await session.confirm("000000").catch((e: unknown) => e);
  assert.ok(wrong instanceof RegflowError, "a wrong code is a problem answer");
  assert.equal(wrong.status, 400);
  assert.equal(wrong.problem.code, "INVALID_CODE");

  const confirmed = await session.confirm(await codeFor(email));
  assert.equal(confirmed.verified.email, true);
  assert.equal(confirmed.step, "identity");

  const invalid = await session.submit("identity", { first_name: "Ada" }).catch((e: unknown) => e);
  assert.ok(invalid instanceof RegflowError);
  assert.equal(invalid.status, 422);
  assert.ok(invalid.fieldMessage("last_name"), "the missing field has its message");

  assert.deepEqual((await client.usernameAvailability(`ada${run}`)).available, true);
  await session.submit("identity", { first_name: "Ada", last_name: "Lovelace", username: `ada${run}` });
  await session.submit("credentials", { password: PASSWORD, password_confirmation: PASSWORD });

  const key = randomUUID();
  const done = await session.complete(key);
  assert.equal(done.account.email, email);
  assert.equal(done.token_type, "Bearer");
  const again = await session.complete(key); // the same Idempotency-Key: the same account
  assert.equal(again.account.id, done.account.id);

  const login = await client.login({ email, password: PASSWORD });
  assert.match(login.access_token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  const refused = await client.login({ email, password: "not the password" }).catch((e: unknown) => e);
  assert.ok(refused instanceof RegflowError);
  assert.equal(refused.problem.code, "INVALID_CREDENTIALS");
});
